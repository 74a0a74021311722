/** Command-line argument helpers shared by every command: `--help`, and parse errors as one line with a suggestion. */
import { suggest } from '../config/suggest.js';

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
