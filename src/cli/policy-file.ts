/** Reads and loads a policy file for the CLI commands, printing its problems. */
import { readFileSync } from 'node:fs';
import { loadPolicy, type LoadOptions } from '../policy/load.js';
import type { CompiledPolicy } from '../policy/compiled.js';
import { formatProblem } from '../util/problems.js';
import type { CliIo } from './io.js';

/** Loads `file`; prints errors (and warnings when `showWarnings`) to stderr; undefined when it is unusable. */
export function readPolicy(file: string, io: CliIo, showWarnings: boolean, options: LoadOptions = {}): { policy: CompiledPolicy | undefined; errors: number; warnings: number } {
  const text = readText(file);
  if (typeof text !== 'string') {
    io.stderr(`${file}: cannot read the policy: ${text.error}\n`);
    return { policy: undefined, errors: 1, warnings: 0 };
  }
  const result = loadPolicy(text, file, options);
  for (const e of result.errors) io.stderr(`${formatProblem(e)}\n`);
  if (showWarnings) for (const w of result.warnings) io.stderr(`warning: ${formatProblem(w)}\n`);
  return { policy: result.errors.length === 0 ? result.value : undefined, errors: result.errors.length, warnings: result.warnings.length };
}

/** Reads a UTF-8 file, or says why it cannot (the error code, without Node's repeated path). */
export function readText(file: string): string | { error: string } {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
    return { error: code ?? (err instanceof Error ? err.message : String(err)) };
  }
}

/** "1 error" / "2 errors". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
