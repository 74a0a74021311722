/** Validation problems with a source position, shared by config and policy validation. */

/** Where a problem is: a file position, or an environment variable. */
export type Source =
  | { readonly kind: 'file'; readonly file: string; readonly line: number; readonly column: number }
  | { readonly kind: 'env'; readonly variable: string };

/** One validation problem: where, which dotted path, and what is wrong (constraint, allowed, actual). */
export interface Problem {
  readonly source: Source;
  /** Dotted path in the document, e.g. `rules[3].methods[0]`. */
  readonly path: string;
  readonly message: string;
}

/** Result of a pure validation: a value only when there are no errors. */
export interface Validated<T> {
  readonly value?: T;
  readonly errors: readonly Problem[];
  readonly warnings: readonly Problem[];
}

/** Formats `file:line:column: path: message` or `$VARIABLE: message`. */
export function formatProblem(p: Problem): string {
  const where = p.source.kind === 'file' ? `${p.source.file}:${p.source.line}:${p.source.column}` : `$${p.source.variable}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

/** Formats a path array as `rules[3].methods[0]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** Describes a value for an error message, briefly and without dumping large structures. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}
