/**
 * Path patterns (DESIGN §5): literal segments, `*` (one segment), `**` (zero or more segments) and
 * `{name}` (one segment, captured). Parsed and compiled once at load; matching never allocates
 * except for captured values, and runs in O(pattern × path) with no regex (no ReDoS).
 *
 * A trailing slash is not significant when matching: `/admin` and `/admin/` are the same resource
 * to most upstreams, so a deny rule on `/admin` must also catch `/admin/`.
 */

/** One segment of a path pattern. */
export type PathToken =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'one' }
  | { readonly kind: 'capture'; readonly name: string; readonly slot: number }
  | { readonly kind: 'any' };

/** A compiled path pattern. */
export interface PathPattern {
  /** The pattern as written. */
  readonly source: string;
  readonly tokens: readonly PathToken[];
  /** Capture names, in slot order. */
  readonly captures: readonly string[];
  /** Cheapest way to match: `exact` (literal), `prefix` (literal + trailing `**`), or `glob`. */
  readonly mode: 'exact' | 'prefix' | 'glob';
  /** The literal path (`exact`) or the literal prefix without trailing slash (`prefix`); '' for `glob`. */
  readonly literal: string;
}

/** Result of parsePathPattern. */
export type ParsedPathPattern = { readonly ok: true; readonly pattern: PathPattern } | { readonly ok: false; readonly message: string };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPE = /%[0-9A-Fa-f]{2}/;
const SLASH = 0x2f;

/** Parses and compiles a path pattern, or says which constraint it breaks. */
export function parsePathPattern(source: string): ParsedPathPattern {
  if (!source.startsWith('/')) return bad(`must start with "/", got ${JSON.stringify(source)}`);
  if (/[\u0000-\u001f\u007f]/.test(source)) return bad(`must not contain control characters, got ${JSON.stringify(source)}`);
  if (source.includes('\\')) return bad(`must not contain "\\" (such paths are refused before matching), got ${JSON.stringify(source)}`);
  if (source.includes('?') || source.includes('#')) return bad(`must not contain "?" or "#" (query strings are never matched), got ${JSON.stringify(source)}`);
  if (ESCAPE.test(source)) return bad(`must not be percent-encoded (paths are matched decoded; write the character itself), got ${JSON.stringify(source)}`);
  const segments = source.slice(1).split('/');
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop(); // trailing slash is not significant
  if (segments.length === 1 && segments[0] === '') segments.pop(); // the root pattern "/"
  const tokens: PathToken[] = [];
  const captures: string[] = [];
  for (const seg of segments) {
    const token = parseSegment(seg, captures);
    if (typeof token === 'string') return bad(`${token}, got ${JSON.stringify(source)}`);
    tokens.push(token);
  }
  return { ok: true, pattern: { source, tokens, captures, ...matchMode(tokens) } };
}

/** The pattern with its literal segments lower-cased (Unicode toLowerCase), for case-insensitive matching. */
export function lowerCasePattern(p: PathPattern): PathPattern {
  const tokens = p.tokens.map((t) => (t.kind === 'literal' ? { kind: 'literal' as const, text: t.text.toLowerCase() } : t));
  return { ...p, tokens, literal: p.literal.toLowerCase() };
}

function bad(message: string): ParsedPathPattern {
  return { ok: false, message };
}

/** Parses one segment; returns a constraint message on error. */
function parseSegment(seg: string, captures: string[]): PathToken | string {
  if (seg === '') return 'must not contain an empty segment ("//" never matches a normalised path)';
  if (seg === '.' || seg === '..') return 'must not contain "." or ".." segments (paths are matched after resolving them)';
  if (seg === '**') return { kind: 'any' };
  if (seg === '*') return { kind: 'one' };
  if (seg.includes('*')) return '"*" and "**" must be a whole segment';
  if (seg.includes('{') || seg.includes('}')) {
    const name = seg.startsWith('{') && seg.endsWith('}') ? seg.slice(1, -1) : undefined;
    if (name === undefined) return '"{name}" must be a whole segment';
    if (!IDENT.test(name)) return `capture "{${name}}" needs a name of letters, digits and "_", not starting with a digit`;
    if (captures.includes(name)) return `capture "{${name}}" appears twice`;
    captures.push(name);
    return { kind: 'capture', name, slot: captures.length - 1 };
  }
  return { kind: 'literal', text: seg };
}

/** Chooses the cheapest way to match the token list. */
function matchMode(tokens: readonly PathToken[]): Pick<PathPattern, 'mode' | 'literal'> {
  const literalText = (list: readonly PathToken[]): string => `/${list.map((t) => (t.kind === 'literal' ? t.text : '')).join('/')}`;
  if (tokens.every((t) => t.kind === 'literal')) return { mode: 'exact', literal: literalText(tokens) };
  const last = tokens.length - 1;
  if (tokens[last]?.kind === 'any' && tokens.slice(0, last).every((t) => t.kind === 'literal')) {
    return { mode: 'prefix', literal: last === 0 ? '' : literalText(tokens.slice(0, last)) };
  }
  return { mode: 'glob', literal: '' };
}

/**
 * Tests a normalised path against the pattern; on a match, `slots` holds [start, end) of each capture.
 * One plain function (not a closure per pattern) keeps the call site monomorphic on large policies.
 */
export function testPath(pattern: PathPattern, path: string, slots: Int32Array): boolean {
  const lit = pattern.literal;
  switch (pattern.mode) {
    case 'exact':
      return path === lit || (path.length === lit.length + 1 && path.charCodeAt(lit.length) === SLASH && path.startsWith(lit));
    case 'prefix':
      // `/x/**` matches `/x`, `/x/` and `/x/...`; `/**` (empty literal) matches every path.
      return path.startsWith(lit) && (path.length === lit.length || path.charCodeAt(lit.length) === SLASH);
    case 'glob':
      return matchTokens(pattern.tokens, path, slots);
  }
}

/** End of the segment that starts after the `/` at `p` (exclusive), bounded by `end`. */
function segmentEnd(path: string, p: number, end: number): number {
  const q = path.indexOf('/', p + 1);
  return q === -1 || q > end ? end : q;
}

/**
 * Glob matching over segments with backtracking to the last `**` (each other token matches exactly
 * one segment, so this greedy strategy is complete). `p` always points at the `/` before a segment.
 */
function matchTokens(tokens: readonly PathToken[], path: string, slots: Int32Array): boolean {
  // A single trailing slash is ignored (see the module comment); the root "/" has no segments.
  const end = path.charCodeAt(path.length - 1) === SLASH ? path.length - 1 : path.length;
  let ti = 0;
  let p = 0;
  let starTi = -1;
  let starP = 0;
  while (p < end) {
    const q = segmentEnd(path, p, end);
    const tok = tokens[ti];
    if (tok !== undefined) {
      if (tok.kind === 'any') {
        starTi = ti;
        starP = p;
        ti++;
        continue;
      }
      if (segmentMatches(tok, path, p + 1, q)) {
        if (tok.kind === 'capture') {
          slots[tok.slot * 2] = p + 1;
          slots[tok.slot * 2 + 1] = q;
        }
        ti++;
        p = q;
        continue;
      }
    }
    if (starTi < 0) return false;
    starP = segmentEnd(path, starP, end); // the last `**` swallows one more segment
    p = starP;
    ti = starTi + 1;
  }
  while (tokens[ti]?.kind === 'any') ti++;
  return ti === tokens.length;
}

function segmentMatches(tok: PathToken, path: string, start: number, end: number): boolean {
  if (tok.kind === 'literal') return end - start === tok.text.length && path.startsWith(tok.text, start);
  return end > start; // `*` and `{name}` need a non-empty segment
}

/** Reads the captures of a successful `test` from `slots` into a record. */
export function readCaptures(pattern: PathPattern, path: string, slots: Int32Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < pattern.captures.length; i++) {
    const name = pattern.captures[i];
    if (name !== undefined) out[name] = path.slice(slots[i * 2], slots[i * 2 + 1]);
  }
  return out;
}

/**
 * True when pattern `a` provably matches every path that `b` matches (conservative: false means
 * "not proven"). Aligns a's tokens over b's: a literal covers the same literal, `*`/`{x}` cover any
 * single-segment token, and `**` in a covers any run of b's tokens, including b's `**`.
 */
export function patternCovers(a: PathPattern, b: PathPattern): boolean {
  const at = a.tokens;
  const bt = b.tokens;
  // reach[j] = a's first i tokens can cover b's first j tokens.
  let reach: boolean[] = new Array<boolean>(bt.length + 1).fill(false);
  reach[0] = true;
  for (const tok of at) {
    const next: boolean[] = new Array<boolean>(bt.length + 1).fill(false);
    for (let j = 0; j <= bt.length; j++) {
      if (tok.kind === 'any') {
        next[j] = reach[j] === true || (j > 0 && next[j - 1] === true);
      } else if (j > 0 && reach[j - 1] === true) {
        next[j] = tokenCovers(tok, bt[j - 1]);
      }
    }
    reach = next;
  }
  return reach[bt.length] === true;
}

function tokenCovers(a: PathToken, b: PathToken | undefined): boolean {
  if (b === undefined || b.kind === 'any') return false;
  if (a.kind === 'literal') return b.kind === 'literal' && b.text === a.text;
  return a.kind !== 'any';
}
