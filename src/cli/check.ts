/**
 * `keygate check [--config F] [--policy F]`: validates the policy (and, through a hook, the config),
 * prints every problem with its position, and exits 1 on any error.
 */
import { parseArgs } from 'node:util';
import { formatProblem, type Validated } from '../util/problems.js';
import { argProblem, wantsHelp } from './args.js';
import type { CliIo } from './io.js';
import { plural, readPolicy } from './policy-file.js';

/** What a config check reports: its problems, and the policy file the config names (if valid). */
export interface ConfigCheck {
  readonly result: Validated<unknown>;
  readonly policyFile: string | undefined;
}

/**
 * HOOK for config validation: given `--config` (or undefined: environment / KEYGATE_CONFIG only),
 * validate the config and return its problems and policy file. Plugged in with setCheckConfigHook
 * (or passed in CheckDeps); until then `check` only validates the policy and says that the config
 * was not checked. It runs when `--config` is given, or when `--policy` is not (the policy then
 * comes from the config): `keygate check --policy F` checks the policy alone.
 */
export type ConfigChecker = (configFile: string | undefined, env: NodeJS.ProcessEnv) => ConfigCheck | Promise<ConfigCheck>;

/** Dependencies of `check`, injectable for tests. */
export interface CheckDeps {
  readonly checkConfig?: ConfigChecker | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

let configHook: ConfigChecker | undefined;

/** Installs (or, with undefined, removes) the config checker used by `keygate check`. */
export function setCheckConfigHook(hook: ConfigChecker | undefined): void {
  configHook = hook;
}

/** The usage line of `keygate check`. */
export const USAGE = 'usage: keygate check [--config FILE] [--policy FILE]\n';
const OPTIONS = { config: { type: 'string', short: 'c' }, policy: { type: 'string', short: 'p' } } as const;

/** Runs `keygate check`; resolves to the exit code (0 valid, 1 problems, 2 usage). */
export async function checkCommand(argv: string[], io: CliIo, deps: CheckDeps = {}): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout(USAGE);
    return 0;
  }
  let values: { config?: string | undefined; policy?: string | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true }));
  } catch (err) {
    io.stderr(`keygate check: ${argProblem(err, OPTIONS)}\n${USAGE}`);
    return 2;
  }
  const env = deps.env ?? process.env;
  const checker = deps.checkConfig ?? configHook;
  let failed = false;
  let policyFromConfig: string | undefined;
  const wantConfig = values.config !== undefined || values.policy === undefined;
  if (checker !== undefined && wantConfig) {
    const { result, policyFile } = await checker(values.config, env);
    for (const e of result.errors) io.stderr(`${formatProblem(e)}\n`);
    for (const w of result.warnings) io.stderr(`warning: ${formatProblem(w)}\n`);
    failed = result.errors.length > 0;
    io[failed ? 'stderr' : 'stdout'](failed ? `config invalid: ${plural(result.errors.length, 'error')}\n` : 'config OK\n');
    policyFromConfig = policyFile;
  } else if (values.config !== undefined) {
    io.stderr(`keygate check: config checking is not available in this build; ${values.config} was not checked\n`);
  }
  const policyFile = values.policy ?? policyFromConfig ?? nonEmpty(env['KEYGATE_POLICY']);
  if (policyFile === undefined) {
    io.stderr(`keygate check: no policy file: pass --policy FILE (or set KEYGATE_POLICY)\n${USAGE}`);
    return failed ? 1 : 2;
  }
  const loaded = readPolicy(policyFile, io, true);
  if (loaded.policy === undefined) {
    io.stderr(`policy invalid: ${plural(loaded.errors, 'error')}${loaded.warnings > 0 ? `, ${plural(loaded.warnings, 'warning')}` : ''}\n`);
    return 1;
  }
  const warned = loaded.warnings > 0 ? ` (${plural(loaded.warnings, 'warning')})` : '';
  io.stdout(`policy OK: ${plural(loaded.policy.rules.length, 'rule')}${warned}\n`);
  return failed ? 1 : 0;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}
