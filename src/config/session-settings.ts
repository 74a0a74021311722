/** Session secrets, the session cookie, and the identity header names. */
import { cookieDomainProblem, cookieNameProblem, headerNameProblem } from './checks.js';
import { KEYS, type KeySpec } from './keys.js';
import { bytes, fail, forEachItem, orDefault, readBool, readInt, readList, readString, required, warn, type Read } from './read.js';
import type { Ctx } from './source.js';
import type { CookieConfig, Config, HeaderNames } from './types.js';

/** Minimum length of a session secret, in bytes (UTF-8). */
export const MIN_SECRET_BYTES = 32;

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis §5.5). */
const MAX_COOKIE_SECONDS = 400 * 24 * 3600;

/** Default identity header names (DESIGN.md §6). */
export const DEFAULT_HEADERS: HeaderNames = {
  user: 'X-Auth-User',
  email: 'X-Auth-Email',
  subject: 'X-Auth-Subject',
  name: 'X-Auth-Name',
  roles: 'X-Auth-Roles',
  groups: 'X-Auth-Groups',
};

/** sessionSecrets (at least one, each ≥ 32 bytes; values never appear in messages) and the cookie settings. */
export function readSession(ctx: Ctx): Pick<Config, 'sessionSecrets' | 'cookie'> | undefined {
  const read = readList(ctx, KEYS.sessionSecrets, true);
  const secrets = required(ctx, KEYS.sessionSecrets, read);
  if (read.state === 'ok' && read.value.length === 0) fail(ctx, read.found, `must list at least one secret of at least ${MIN_SECRET_BYTES} bytes`);
  forEachItem(read, ({ value, index }, found) => {
    if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) fail(ctx, found, `must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes(value)}`, index);
  });
  const cookie = readCookie(ctx);
  if (secrets === undefined || cookie === undefined) return undefined;
  return { sessionSecrets: secrets.map((i) => i.value), cookie };
}

/** The cookie mapping; undefined when a value is invalid. */
function readCookie(ctx: Ctx): CookieConfig | undefined {
  const secureRead = readBool(ctx, KEYS.cookieSecure);
  const secure = orDefault(secureRead, true);
  if (secureRead.state === 'ok' && !secure) warn(ctx, secureRead.found, 'is false: the session cookie is also sent over plain http; use this for local development only');
  const domainRead = readString(ctx, KEYS.cookieDomain);
  const domain = domainRead.state === 'ok' ? domainRead.value.toLowerCase() : undefined;
  const domainProblem = domainRead.state === 'ok' ? cookieDomainProblem(domainRead.value) : undefined;
  if (domainRead.state === 'ok' && domainProblem !== undefined) fail(ctx, domainRead.found, domainProblem);
  const nameRead = readString(ctx, KEYS.cookieName);
  const name = orDefault(nameRead, 'keygate');
  const nameProblem = cookieNameProblem(name, secure, domain);
  if (nameRead.state === 'ok' && nameProblem !== undefined) fail(ctx, nameRead.found, nameProblem);
  const maxAge = readInt(ctx, KEYS.cookieMaxAge, 60, MAX_COOKIE_SECONDS);
  const idle = readInt(ctx, KEYS.cookieIdleTimeout, 60, MAX_COOKIE_SECONDS);
  const maxAgeSeconds = orDefault(maxAge, 28800);
  const idleTimeoutSeconds = orDefault(idle, 3600);
  if (maxAge.state !== 'invalid' && idle.state !== 'invalid' && idleTimeoutSeconds > maxAgeSeconds) {
    if (idle.state === 'ok') fail(ctx, idle.found, `must be at most cookie.maxAgeSeconds (${maxAgeSeconds}), got ${idleTimeoutSeconds}`);
    else if (maxAge.state === 'ok') fail(ctx, maxAge.found, `must be at least cookie.idleTimeoutSeconds (default ${idleTimeoutSeconds}), got ${maxAgeSeconds}`);
  }
  if (domainRead.state === 'invalid' || domainProblem !== undefined) return undefined;
  return { name, domain, secure, maxAgeSeconds, idleTimeoutSeconds };
}

/** The identity header names: valid tokens, not reserved, and distinct ignoring case. */
export function readHeaders(ctx: Ctx): HeaderNames | undefined {
  const specs: [keyof HeaderNames, KeySpec][] = [
    ['user', KEYS.headerUser], ['email', KEYS.headerEmail], ['subject', KEYS.headerSubject],
    ['name', KEYS.headerName], ['roles', KEYS.headerRoles], ['groups', KEYS.headerGroups],
  ];
  const out: Record<string, string> = {};
  const seen = new Map<string, { key: string; read: Read<string> }>();
  let ok = true;
  for (const [key, spec] of specs) {
    const read = readString(ctx, spec);
    const value = orDefault(read, DEFAULT_HEADERS[key]);
    const problem = headerNameProblem(value);
    if (read.state === 'invalid') ok = false;
    if (read.state === 'ok' && problem !== undefined) {
      fail(ctx, read.found, problem);
      ok = false;
    }
    const previous = seen.get(value.toLowerCase());
    if (previous !== undefined) {
      ok = false;
      reportDuplicate(ctx, `headers.${previous.key}`, previous.read, `headers.${key}`, read, value);
    }
    seen.set(value.toLowerCase(), { key, read });
    out[key] = value;
  }
  if (!ok) return undefined;
  return { user: out['user'] ?? '', email: out['email'] ?? '', subject: out['subject'] ?? '', name: out['name'] ?? '', roles: out['roles'] ?? '', groups: out['groups'] ?? '' };
}

/** Reports two identity headers with the same name, at whichever of them the user set (the later one if both). */
function reportDuplicate(ctx: Ctx, firstKey: string, first: Read<string>, secondKey: string, second: Read<string>, value: string): void {
  const message = (other: string): string => `${JSON.stringify(value)} is also the name of ${other}; identity header names must be distinct (case-insensitive)`;
  // The defaults are distinct, so at least one of the two was set by the user.
  if (second.state === 'ok') fail(ctx, second.found, message(firstKey));
  else if (first.state === 'ok') fail(ctx, first.found, message(secondKey));
}
