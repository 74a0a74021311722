/**
 * Role and group values with `*` (issue 13): `argo-*-viewer`, `/teams/*\/admins`, `temporal-{namespace}-*`.
 * A `*` spans one or more characters, never a `,`; in a role it never crosses `:` either (so a realm-role
 * pattern never matches a `client:role`), and in a group path it never crosses `/`. Matching is a small
 * loop over the star-free pieces prepared at load: no RegExp is built per request, and a `*` inside a
 * captured path segment is matched literally.
 */
import { expand, type Template } from './template.js';

const COMMA = 0x2c;
const COLON = 0x3a;
const SLASH = 0x2f;
const NO_PIECES: readonly string[] = [];

/** The pieces of a pattern with captures substituted; empty when a capture is missing (never held). */
function piecesOf(t: Template, glob: readonly Template[], captures: Readonly<Record<string, string>>): readonly string[] {
  if (t.globText !== undefined) return t.globText;
  const out: string[] = [];
  for (const piece of glob) {
    const text = expand(piece, captures);
    if (text === undefined) return NO_PIECES;
    out.push(text);
  }
  return out;
}

/**
 * True when `text` is the pieces joined by stars, each star spanning one or more characters that are
 * neither `,` nor `stop`. Backtracks over star spans; values are short and stars few.
 */
export function globMatch(pieces: readonly string[], text: string, stop: number): boolean {
  const first = pieces[0] ?? '';
  return text.startsWith(first) && afterStar(pieces, 1, text, first.length, stop);
}

function afterStar(pieces: readonly string[], i: number, text: string, pos: number, stop: number): boolean {
  if (i === pieces.length) return pos === text.length;
  const piece = pieces[i] as string;
  for (let end = pos + 1; end <= text.length; end++) {
    const ch = text.charCodeAt(end - 1);
    if (ch === COMMA || ch === stop) return false;
    if (text.startsWith(piece, end) && afterStar(pieces, i + 1, text, end + piece.length, stop)) return true;
  }
  return false;
}

/** The first of `roles` that the role value (plain or pattern) holds, after captures; undefined when none. */
export function matchingRole(t: Template, roles: readonly string[], captures: Readonly<Record<string, string>>): string | undefined {
  if (t.glob === undefined) {
    const v = expand(t, captures);
    return v !== undefined && roles.includes(v) ? v : undefined;
  }
  const pieces = piecesOf(t, t.glob, captures);
  if (pieces.length === 0) return undefined;
  for (const role of roles) if (globMatch(pieces, role, COLON)) return role;
  return undefined;
}

/**
 * The first of `groups` in the group the value names, or in one of its subgroups; undefined when none.
 * `/a/b` is held by `/a/b` and `/a/b/...`, not `/a/bc`; `/teams/*` by `/teams/x` and `/teams/x/y`.
 */
export function matchingGroup(t: Template, groups: readonly string[], captures: Readonly<Record<string, string>>): string | undefined {
  if (t.glob === undefined) {
    const v = expand(t, captures);
    return v === undefined ? undefined : groups.find((g) => inGroup(g, v));
  }
  const pieces = piecesOf(t, t.glob, captures);
  if (pieces.length === 0) return undefined;
  // A star never spans a `/`, so a match has exactly the pattern's number of segments: compare that prefix.
  let slashes = 0;
  for (const p of pieces) for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === SLASH) slashes++;
  for (const g of groups) if (globMatch(pieces, segmentsPrefix(g, slashes), SLASH)) return g;
  return undefined;
}

/** `g` cut before its (n+1)-th `/` (all of `g` when it has no more than n). */
function segmentsPrefix(g: string, n: number): string {
  let seen = 0;
  for (let i = 0; i < g.length; i++) {
    if (g.charCodeAt(i) === SLASH && ++seen > n) return g.slice(0, i);
  }
  return g;
}

/** Group membership: `g` is `group` or one of its subgroups. */
export function inGroup(g: string, group: string): boolean {
  return g === group || (g.length > group.length && g.charCodeAt(group.length) === SLASH && g.startsWith(group));
}
