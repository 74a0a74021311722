/** Command-line argument helpers shared by every command: `--help`, and parse errors as one line with a suggestion. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { suggest } from '../config/suggest.js';
import type { CliIo } from './io.js';

/** The option table of a command, as node:util parseArgs takes it (only the names matter here). */
export type OptionTable = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>>;

/** Whether `argv` asks for help: `--help` or `-h` before any `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * A parseArgs error as a short message for the user, never a stack trace. An unknown option names the closest
 * known one (`unknown option --conifg (did you mean --config?)`).
 */
export function argProblem(err: unknown, options: OptionTable): string {
  const message = err instanceof Error ? err.message : String(err);
  const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(message);
  if (unknown === null) return message.replace(/\. To specify a positional argument.*$/s, '');
  const given = unknown[1] ?? '';
  const hint = given.startsWith('--') ? suggest(given.slice(2), Object.keys(options)) : undefined;
  return `unknown option ${given}${hint === undefined ? '' : ` (did you mean --${hint}?)`}`;
}

/** A command as its help and usage errors name it. */
export interface CommandUsage {
  /** The word after `keygate`. */
  readonly name: string;
  /** The usage line(s), ending in a newline. */
  readonly usage: string;
}

/** Prints `keygate NAME: message` and the usage on stderr; the usage exit code, 2. */
export function usageError(io: CliIo, cmd: CommandUsage, message: string): number {
  io.stderr(`keygate ${cmd.name}: ${message}\n${cmd.usage}`);
  return 2;
}

/**
 * Parses a command's arguments strictly. `--help` prints the usage (exit 0) and a parse error prints one line and the
 * usage (exit 2), both as `{ exit }`; otherwise what parseArgs returns.
 */
export function parseCommandArgs<T extends ParseArgsConfig & { readonly options: OptionTable }>(
  argv: string[],
  cmd: CommandUsage,
  config: T,
  io: CliIo,
): ReturnType<typeof parseArgs<T>> | { readonly exit: number } {
  if (wantsHelp(argv)) {
    io.stdout(cmd.usage);
    return { exit: 0 };
  }
  try {
    return parseArgs<T>({ ...config, args: argv, strict: true });
  } catch (err) {
    return { exit: usageError(io, cmd, argProblem(err, config.options)) };
  }
}
