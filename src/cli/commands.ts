/** Dispatch of the `keygate` command line: check, explain and test here; serve and dev loaded on demand. */
import { checkCommand, type ConfigChecker } from './check.js';
import { loadConfig } from '../config/load.js';
import { explainCommand } from './explain.js';
import type { CliIo } from './io.js';
import { testCommand } from './test-cases.js';
import { readFileSync } from 'node:fs';
import { suggest } from '../config/suggest.js';

/** The usage text of `keygate`. */
export const USAGE = `usage: keygate [command] [options]

commands:
  serve     run the service (the default when no command is given)
  check     validate the config and policy: keygate check [--config FILE] [--policy FILE]
  explain   explain a decision: keygate explain --policy FILE --method M --url URL [--user U] [--roles a,b] [--groups /g] [--scopes s] [--anonymous] [--json]
  test      run policy test cases: keygate test --policy FILE CASES.yaml [--json]
  dev       local demo with a dev identity provider, gateway and app (npm start)

options:
  -h, --help      this text (also after a command: keygate serve --help)
  -V, --version   the version of keygate
`;

/** Runs `keygate` with `argv`; resolves to the exit code. User input never produces a stack trace: an unexpected error is one line and exit 1. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    io.stderr(`keygate: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** The version in package.json (two levels above dist/src/cli, three above src/cli when run from source). */
export function version(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
      if (typeof pkg === 'object' && pkg !== null && 'name' in pkg && pkg.name === 'keygate' && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return 'unknown';
}

/** Dispatches `argv` (without node and script) to its command. */
async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return checkCommand(rest, io, { checkConfig });
    case 'explain':
      return explainCommand(rest, io);
    case 'test':
      return testCommand(rest, io);
    case 'serve':
      return (await import('./serve.js')).run(rest, io);
    case 'dev':
      return (await import('./dev.js')).run(rest, io);
    case 'help':
    case '--help':
    case '-h':
      io.stdout(USAGE);
      return 0;
    case 'version':
    case '--version':
    case '-V':
      io.stdout(`keygate ${version()}\n`);
      return 0;
    case undefined:
      return (await import('./serve.js')).run([], io);
    default:
      // Options without a command belong to the default command, serve (`keygate --config F`).
      if (command.startsWith('-')) return (await import('./serve.js')).run([...argv], io);
      io.stderr(`keygate: unknown command ${JSON.stringify(command)}${commandHint(command)}\n${USAGE}`);
      return 2;
  }
}

const COMMANDS = ['serve', 'check', 'explain', 'test', 'dev', 'help', 'version'];

function commandHint(command: string): string {
  const hint = suggest(command, COMMANDS);
  return hint === undefined ? '' : ` (did you mean ${hint}?)`;
}

/** `keygate check` validates the config with the same loader `serve` uses (file + environment + *_FILE secrets). */
const checkConfig: ConfigChecker = (configFile, env) => {
  const result = loadConfig({ configFile, env });
  return { result, policyFile: result.value?.policyFile };
};
