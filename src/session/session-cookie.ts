/** The session cookie: writing (sealed, chunked) and clearing it, and the dependencies the session modules share. */
import type { Config } from '../config/types.js';
import type { Keycloak } from '../identity/keycloak.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Logger } from '../util/log.js';
import { chunkCount, chunkedCookies, clearChunked, type CookieAttributes } from './cookies.js';
import type { RedirectPolicy } from './redirects.js';
import type { RevocationStore } from './revocation.js';
import type { Sealer } from './seal.js';
import type { SessionData, SessionLimits } from './session.js';

/** Shared dependencies of the session layer. */
export interface SessionDeps {
  readonly config: Config;
  readonly keycloak: Keycloak;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly revocations: RevocationStore;
  readonly now: () => number;
  readonly sessions: Sealer;
  readonly logins: Sealer;
  readonly limits: SessionLimits;
  /** Hosts a redirect may go to (recomputed from the policy in force). */
  readonly redirects: () => RedirectPolicy;
}

/** Attributes of the session cookie. */
export function sessionCookieAttributes(deps: SessionDeps, maxAge: number): CookieAttributes {
  return { domain: deps.config.cookie.domain, secure: deps.config.cookie.secure, path: '/', maxAge };
}

/** Set-Cookie values storing `data` (chunked when needed), clearing chunks the request had beyond them. */
export async function writeSession(deps: SessionDeps, data: SessionData, cookies: ReadonlyMap<string, string>): Promise<string[]> {
  const name = deps.config.cookie.name;
  const remaining = Math.max(1, Math.floor((data.iat + deps.limits.maxAgeMs - deps.now()) / 1000));
  return chunkedCookies(name, await deps.sessions.seal(data), sessionCookieAttributes(deps, remaining), chunkCount(cookies, name));
}

/** Set-Cookie values deleting the session cookie and its chunks. */
export function clearSession(deps: SessionDeps, cookies: ReadonlyMap<string, string>): string[] {
  const name = deps.config.cookie.name;
  return clearChunked(name, sessionCookieAttributes(deps, 0), Math.max(1, chunkCount(cookies, name)));
}
