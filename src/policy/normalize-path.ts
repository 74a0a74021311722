/**
 * Request-path normalisation: the policy matches the path the upstream will see, so we decode and
 * resolve exactly once here, and refuse anything whose meaning differs between proxy and upstream.
 * DESIGN §5 "Normalisation"; dot-segment removal follows RFC 3986 §5.2.4, except that `..` above
 * the root is refused instead of clamped (the upstream might not clamp).
 */

/** Result of normalizePath: the normalised path, or why the raw path is ambiguous (answered with 400). */
export type NormalizedPath = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly detail: string };

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const BACKSLASH = 0x5c;
const SEMICOLON = 0x3b;
const DEL = 0x7f;

/** Normalises a raw request path (query already stripped): percent-decodes, resolves `.`/`..`, collapses `//`. */
export function normalizePath(raw: string): NormalizedPath {
  if (raw.charCodeAt(0) !== SLASH) return fail(`path must start with "/", got ${JSON.stringify(raw.slice(0, 20))}`);
  const scan = scanRaw(raw);
  if (typeof scan === 'string') return fail(scan);
  // Fast path: nothing to decode, no dot segment, no `//`: the raw path is already normal.
  if (!scan) return { ok: true, path: raw };
  let decoded = raw;
  if (raw.indexOf('%') !== -1) {
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return fail('percent-encoding does not decode to valid UTF-8');
    }
  }
  return resolveSegments(decoded);
}

function fail(detail: string): NormalizedPath {
  return { ok: false, detail };
}

/**
 * One pass over the raw text. Returns an error detail, `false` when the path is already normal,
 * or `true` when it needs decoding or dot/`//` resolution.
 */
function scanRaw(raw: string): string | boolean {
  let dirty = false;
  const n = raw.length;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === DEL) return `control character 0x${hex2(c)} at offset ${i}`;
    if (c === BACKSLASH) return `backslash at offset ${i}`;
    if (c === PERCENT) {
      const problem = checkEscape(raw, i);
      if (problem !== undefined) return problem;
      dirty = true;
      i += 2;
    } else if (c === SEMICOLON) {
      dirty = true;
    } else if (c === DOT && !dirty) {
      // A segment ending in "." (`/admin./x`) is refused in resolveSegments.
      const next = raw.charCodeAt(i + 1);
      dirty = Number.isNaN(next) || next === SLASH;
    } else if (c === SLASH && !dirty) {
      dirty = isDirtySegmentStart(raw, i + 1);
    }
  }
  return dirty;
}

/** True when the segment starting at `i` is empty (`//`), `.`, `..`, or a dot segment with parameters. */
function isDirtySegmentStart(raw: string, i: number): boolean {
  const c0 = raw.charCodeAt(i);
  if (c0 === SLASH) return true;
  if (c0 !== DOT) return false;
  const c1 = raw.charCodeAt(i + 1);
  if (Number.isNaN(c1) || c1 === SLASH || c1 === SEMICOLON) return true;
  if (c1 !== DOT) return false;
  const c2 = raw.charCodeAt(i + 2);
  return Number.isNaN(c2) || c2 === SLASH || c2 === SEMICOLON;
}

/** Checks the escape at `raw[i] === '%'`; returns an error detail or undefined. */
function checkEscape(raw: string, i: number): string | undefined {
  const h = hexValue(raw.charCodeAt(i + 1));
  const l = hexValue(raw.charCodeAt(i + 2));
  if (h < 0 || l < 0) return `invalid percent-encoding ${JSON.stringify(raw.slice(i, i + 3))} at offset ${i}`;
  const byte = h * 16 + l;
  const text = raw.slice(i, i + 3);
  if (byte === SLASH) return `encoded slash "${text}" at offset ${i}`;
  if (byte === BACKSLASH) return `encoded backslash "${text}" at offset ${i}`;
  if (byte === 0) return `encoded NUL "${text}" at offset ${i}`;
  if (byte < 0x20 || byte === DEL) return `encoded control character "${text}" at offset ${i}`;
  // `%25` + two hex digits decodes to another escape: an upstream that decodes twice reads another path (issue #12).
  if (byte === PERCENT && hexValue(raw.charCodeAt(i + 3)) >= 0 && hexValue(raw.charCodeAt(i + 4)) >= 0) {
    return `double-encoded "${raw.slice(i, i + 5)}" at offset ${i}: an upstream that decodes twice would read another path`;
  }
  return undefined;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

function hex2(c: number): string {
  return c.toString(16).padStart(2, '0');
}

/**
 * Segments that upstreams read differently (issue #12 point 10), refused rather than matched under one reading:
 * - `;` (raw or `%3B`): Java servlet containers and many Java frameworks strip `;params`, so `/admin;x/secret` is `/admin/secret` there;
 * - a trailing `.` or a leading or trailing space (`/admin./x`, `/admin%20/x`): Windows/IIS and some servers strip them.
 */
function segmentProblem(seg: string): string | undefined {
  if (seg.includes(';')) return `path parameter ";" in segment ${JSON.stringify(seg)}: upstreams that strip path parameters (Java servlet containers) would read another path`;
  if (seg === '.' || seg === '..') return undefined;
  if (seg.endsWith('.')) return `segment ${JSON.stringify(seg)} ends with ".": servers that strip trailing dots would read another path`;
  if (seg.startsWith(' ') || seg.endsWith(' ')) return `segment ${JSON.stringify(seg)} starts or ends with a space: servers that strip it would read another path`;
  return undefined;
}

/** Resolves `.`/`..` and collapses empty segments of a decoded path that starts with `/`. */
function resolveSegments(decoded: string): NormalizedPath {
  const out: string[] = [];
  let trailingSlash = false;
  let start = 1;
  const n = decoded.length;
  while (start <= n) {
    let end = decoded.indexOf('/', start);
    if (end === -1) end = n;
    const seg = decoded.slice(start, end);
    const last = end >= n;
    if (seg.startsWith('.;') || seg.startsWith('..;')) {
      return fail(`ambiguous path parameter on dot segment ${JSON.stringify(seg)}`);
    }
    const problem = segmentProblem(seg);
    if (problem !== undefined) return fail(problem);
    if (seg === '..') {
      if (out.length === 0) return fail('".." climbs above the root');
      out.pop();
      trailingSlash = true;
    } else if (seg === '.' || seg === '') {
      trailingSlash = true;
    } else {
      out.push(seg);
      trailingSlash = false;
    }
    if (last) break;
    start = end + 1;
  }
  if (out.length === 0) return { ok: true, path: '/' };
  const path = `/${out.join('/')}`;
  return { ok: true, path: trailingSlash ? `${path}/` : path };
}
