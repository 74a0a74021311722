/** Dispatch of the `keygate` command line: check, explain and test here; serve and dev loaded on demand. */
import { checkCommand, type ConfigChecker } from './check.js';
import { loadConfig } from '../config/load.js';
import { explainCommand } from './explain.js';
import type { CliIo } from './io.js';
import { testCommand } from './test-cases.js';

/** The usage text of `keygate`. */
export const USAGE = `usage: keygate [command] [options]

commands:
  serve     run the service (the default when no command is given)
  check     validate the config and policy: keygate check [--config FILE] [--policy FILE]
  explain   explain a decision: keygate explain --policy FILE --method M --url URL [--user U] [--roles a,b] [--groups /g] [--scopes s] [--anonymous] [--json]
  test      run policy test cases: keygate test --policy FILE CASES.yaml [--json]
  dev       local demo with a dev identity provider, gateway and app (npm start)
`;

/** Runs `keygate` with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
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
    case undefined:
      return (await import('./serve.js')).run([], io);
    default:
      // Options without a command belong to the default command, serve (`keygate --config F`).
      if (command.startsWith('-')) return (await import('./serve.js')).run([...argv], io);
      io.stderr(`keygate: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

/** `keygate check` validates the config with the same loader `serve` uses (file + environment + *_FILE secrets). */
const checkConfig: ConfigChecker = (configFile, env) => {
  const result = loadConfig({ configFile, env });
  return { result, policyFile: result.value?.policyFile };
};
