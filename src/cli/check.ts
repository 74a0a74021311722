/**
 * `keygate check [--config F] [--policy F] [--realm realm.json ...]`: validates the policy (and, through a
 * hook, the config), prints every problem with its position, and exits 1 on any error. With `--realm`, it
 * also warns about role and group values that none of the given Keycloak realm exports defines.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import type { CompiledPolicy } from '../policy/compiled.js';
import { realmNames, unknownNames, type RealmNames } from '../policy/realm-check.js';
import { headerAdvice } from './proxy-headers.js';
import { isRecord } from '../policy/validate-helpers.js';
import { formatProblem, type Validated } from '../util/problems.js';
import { argProblem, wantsHelp } from './args.js';
import type { CliIo } from './io.js';
import { plural, readPolicy, readText } from './policy-file.js';

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
export const USAGE = 'usage: keygate check [--config FILE] [--policy FILE] [--realm realm.json ...] [--proxy FILE ...]\n';
const OPTIONS = {
  config: { type: 'string', short: 'c' },
  policy: { type: 'string', short: 'p' },
  realm: { type: 'string', multiple: true },
  proxy: { type: 'string', multiple: true },
} as const;

/** Runs `keygate check`; resolves to the exit code (0 valid, 1 problems, 2 usage). */
export async function checkCommand(argv: string[], io: CliIo, deps: CheckDeps = {}): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout(USAGE);
    return 0;
  }
  let values: { config?: string | undefined; policy?: string | undefined; realm?: string[] | undefined; proxy?: string[] | undefined };
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
    // A config with other errors still names its policy: check that too (issue 13).
    policyFromConfig = policyFile ?? (failed ? policyNamedBy(values.config, env) : undefined);
  } else if (values.config !== undefined) {
    io.stderr(`keygate check: config checking is not available in this build; ${values.config} was not checked\n`);
  }
  const policyFile = values.policy ?? policyFromConfig ?? nonEmpty(env['KEYGATE_POLICY']);
  if (policyFile === undefined) {
    io.stderr(`keygate check: no policy file: pass --policy FILE (or set KEYGATE_POLICY)\n${USAGE}`);
    return failed ? 1 : 2;
  }
  // Secret files of upstream headers are read, so that a missing one fails here rather than at boot.
  const loaded = readPolicy(policyFile, io, true, { readSecret: (f) => readFileSync(f, 'utf8') });
  if (loaded.policy === undefined) {
    io.stderr(`policy invalid: ${plural(loaded.errors, 'error')}${loaded.warnings > 0 ? `, ${plural(loaded.warnings, 'warning')}` : ''}\n`);
    return 1;
  }
  const realms = readRealms(values.realm ?? [], io);
  if (realms === undefined) return 1;
  const proxyWarnings = headerAdvice(loaded.policy, values.proxy ?? [], io);
  if (proxyWarnings === undefined) return 1;
  const warnings = loaded.warnings + realmWarnings(loaded.policy, policyFile, values.realm ?? [], realms, io) + proxyWarnings;
  const warned = warnings > 0 ? ` (${plural(warnings, 'warning')})` : '';
  io.stdout(`policy OK: ${plural(loaded.policy.rules.length, 'rule')}${warned}\n`);
  return failed ? 1 : 0;
}

/**
 * The policy file of a config that failed validation: `$KEYGATE_POLICY` (it wins over the file, as in
 * serve), else `policyFile` of the YAML file, relative to that file. Undefined when neither names one.
 */
function policyNamedBy(configFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = nonEmpty(env['KEYGATE_POLICY']);
  if (fromEnv !== undefined) return fromEnv;
  const file = configFile ?? nonEmpty(env['KEYGATE_CONFIG']);
  const text = file === undefined ? undefined : readText(file);
  if (file === undefined || typeof text !== 'string') return undefined;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined; // the config check has reported the syntax error
  }
  const named = isRecord(doc) ? doc['policyFile'] : undefined;
  return typeof named === 'string' && named.trim() !== '' ? resolve(dirname(file), named) : undefined;
}

/** Reads and parses each `--realm` export; undefined (after printing why) when one is unusable. */
function readRealms(files: readonly string[], io: CliIo): RealmNames[] | undefined {
  const out: RealmNames[] = [];
  for (const file of files) {
    const text = readText(file);
    let doc: unknown;
    try {
      if (typeof text !== 'string') throw new Error(text.error);
      doc = JSON.parse(text);
    } catch (err) {
      io.stderr(`${file}: cannot read the realm export: ${err instanceof Error ? err.message : String(err)}\n`);
      return undefined;
    }
    out.push(realmNames(doc));
  }
  return out;
}

/** Prints a warning per role or group value no realm defines; returns how many. */
function realmWarnings(policy: CompiledPolicy, policyFile: string, files: readonly string[], realms: readonly RealmNames[], io: CliIo): number {
  if (realms.length === 0) return 0;
  const found = unknownNames(policy.rules, realms);
  const where = files.length === 1 ? files[0] : `any of ${files.join(', ')}`;
  for (const u of found) {
    const what = u.kind === 'role' ? 'role (realm role or client:role)' : 'group';
    io.stderr(`warning: ${policyFile}:${u.rule.line}:${u.rule.column}: rules[${u.rule.index}] ${JSON.stringify(u.rule.name)}: ${u.field} ${JSON.stringify(u.value)} matches no ${what} of ${where}: nobody can hold it${u.hint === undefined ? '' : ` (did you mean ${JSON.stringify(u.hint)}?)`}\n`);
  }
  return found.length;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}
