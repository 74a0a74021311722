/**
 * The scalars of the fast YAML subset (see yaml-fast.ts): plain scalars resolved with the YAML 1.2 core schema,
 * single- and double-quoted scalars without escapes, and what may follow a closed value. Anything outside the
 * subset throws UNSUPPORTED, and the caller falls back to the full parser.
 */

/** Thrown (as this very object) when the text leaves the subset; never escapes parseYamlFast. */
export const UNSUPPORTED = new Error('outside the fast YAML subset');

const INDICATOR_START = /^[[\]{},#&*!|>'"%@`]|^[-?:](?: |$)/;
const INT = /^-?(?:0|[1-9][0-9]*)$/;
const NUMBER_LIKE = /^[-+.0-9]/;

/** Leaves the subset: the caller uses the full parser. */
export function bail(): never {
  throw UNSUPPORTED;
}

/** After a closed value: only spaces, then nothing or a comment. */
export function trailer(text: string, from: number): void {
  let i = from;
  while (text.charCodeAt(i) === 0x20) i++;
  if (i < text.length && !(text[i] === '#' && i > from)) bail();
}

/** A quoted scalar starting at `text[start]`; double quotes with escapes are left to the full parser. */
export function quoted(text: string, start: number): { value: string; end: number } {
  const q = text[start];
  let out = '';
  let i = start + 1;
  for (;;) {
    const j = text.indexOf(q ?? '', i);
    if (j === -1) bail();
    if (q === '"' && text.slice(i, j).includes('\\')) bail();
    out += text.slice(i, j);
    if (q === "'" && text[j + 1] === "'") {
      out += "'";
      i = j + 2;
      continue;
    }
    return { value: out, end: j + 1 };
  }
}

/** Resolves a plain scalar with the YAML 1.2 core schema; anything number-like but not an integer bails. */
export function plain(s: string, flow: boolean): unknown {
  if (s === '' || INDICATOR_START.test(s) || s.includes(': ') || s.endsWith(':') || s.includes(' #')) bail();
  if (flow && (s.includes(':') || /[[\]{}#]/.test(s))) bail();
  if (s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (INT.test(s) && s !== '-0') {
    const n = Number(s);
    if (!Number.isSafeInteger(n)) bail();
    return n;
  }
  if (NUMBER_LIKE.test(s)) bail();
  return s;
}
