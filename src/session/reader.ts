/**
 * Reading a session on the hot path: open (cached), check lifetime and revocation, refresh when the access
 * token expired. A failed refresh ends the session; an unreachable Keycloak is a 503, never an allow.
 */
import * as oidc from 'openid-client';
import { AuthError } from '../errors.js';
import { ExpiringCache, TokenCache, tokenKey } from '../identity/token-cache.js';
import { parseCookies, readChunked } from './cookies.js';
import { clearSession, writeSession, type SessionDeps } from './session-cookie.js';
import { sessionFromTokens, translateGrantError } from './login.js';
import { identityOf, isSessionData, needsTouch, sessionStatus, type SessionData } from './session.js';
import type { SessionIdentity } from './types.js';

/** Opens, checks and refreshes sessions. */
export class SessionReader {
  readonly #deps: SessionDeps;
  /** Opened cookies by their value: decryption happens once per cookie value, not per request. */
  readonly #opened = new TokenCache<SessionData>(10_000);
  /** Refreshes in flight and just done, by hash of the refresh token: parallel XHRs share one refresh. */
  readonly #refreshes = new ExpiringCache<Promise<SessionData | 'ended'>>(10_000);

  /** What an opened session stands for, per opened SessionData (dropped with it). */
  readonly #bases = new WeakMap<SessionData, SessionIdentity>();

  constructor(deps: SessionDeps) {
    this.#deps = deps;
  }

  /**
   * The identity of the session cookie in `cookieHeader`, with any cookies the answer must set. Synchronous when
   * nothing needs I/O (no cookie, or an already opened session that needs neither a refresh nor a touch), so the
   * hot path answers those without a promise (issue #5); opening, refreshing and re-sealing return a promise.
   */
  identify(cookieHeader: string | undefined): SessionIdentity | undefined | Promise<SessionIdentity | undefined> {
    if (cookieHeader === undefined) return undefined;
    const cookies = parseCookies(cookieHeader);
    const raw = readChunked(cookies, this.#deps.config.cookie.name);
    if (raw === undefined) return undefined;
    const now = this.#deps.now();
    const data = this.#opened.get(raw, now);
    if (data === undefined) return this.#open(raw, cookies, now);
    return this.#check(data, cookies, now);
  }

  async #open(raw: string, cookies: ReadonlyMap<string, string>, now: number): Promise<SessionIdentity> {
    const opened = await this.#deps.sessions.open(raw);
    if (!isSessionData(opened)) return this.#end(cookies, 'session cookie is malformed, tampered or sealed with an unknown secret');
    this.#opened.set(raw, opened, Math.min(opened.exp, opened.iat + this.#deps.limits.maxAgeMs));
    return this.#check(opened, cookies, now);
  }

  #check(data: SessionData, cookies: ReadonlyMap<string, string>, now: number): SessionIdentity | Promise<SessionIdentity> {
    const d = this.#deps;
    if (d.revocations.isRevoked(data.sid, data.sub, data.iat)) return this.#end(cookies, 'session was logged out');
    const status = sessionStatus(data, now, d.limits);
    if (status === 'expired' || status === 'idle') return this.#end(cookies, `session ${status}`);
    // While revocations may be incomplete (Redis down), every session is checked at Keycloak by a refresh.
    if (status === 'refresh' || !d.revocations.healthy) return this.#refreshed(data, cookies);
    const base = this.#base(data);
    if (!needsTouch(data, now, d.limits)) return base;
    return writeSession(d, { ...data, seen: now }, cookies).then((setCookie) => ({ ...base, setCookie }));
  }

  /** The identity (and token) of an opened session, built once per opened cookie value. */
  #base(data: SessionData): SessionIdentity {
    let base = this.#bases.get(data);
    if (base === undefined) {
      base = { identity: identityOf(data), ...(data.at !== undefined ? { accessToken: data.at } : {}) };
      this.#bases.set(data, base);
    }
    return base;
  }

  async #refreshed(data: SessionData, cookies: ReadonlyMap<string, string>): Promise<SessionIdentity> {
    const refreshed = await this.#refresh(data);
    if (refreshed === 'ended') return this.#end(cookies, 'refresh failed: the Keycloak session is over');
    return { identity: identityOf(refreshed), ...(refreshed.at !== undefined ? { accessToken: refreshed.at } : {}), setCookie: await writeSession(this.#deps, refreshed, cookies) };
  }

  #end(cookies: ReadonlyMap<string, string>, why: string): SessionIdentity {
    this.#deps.log.debug('session ended', { reason: why });
    return { identity: undefined, setCookie: clearSession(this.#deps, cookies), ended: new AuthError('ERR_SESSION_EXPIRED', { detail: why }) };
  }

  #refresh(data: SessionData): Promise<SessionData | 'ended'> {
    if (data.rt === undefined) return Promise.resolve('ended');
    const now = this.#deps.now();
    const key = tokenKey(data.rt);
    let p = this.#refreshes.get(key, now);
    if (p === undefined) {
      p = this.#doRefresh(data, data.rt);
      // Keep the outcome briefly: requests still carrying the old cookie reuse it instead of replaying the refresh token.
      // While revocations may be incomplete, reuse it for 5 s only: that bounds how long an ended session can linger.
      this.#refreshes.set(key, p, now + (this.#deps.revocations.healthy ? 30_000 : 5_000));
      p.catch(() => this.#refreshes.set(key, p as Promise<SessionData | 'ended'>, 0));
    }
    return p;
  }

  async #doRefresh(data: SessionData, refreshToken: string): Promise<SessionData | 'ended'> {
    const d = this.#deps;
    const conf = d.keycloak.oidc;
    if (conf === undefined) throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: 'issuer discovery has not completed' });
    try {
      const tokens = await oidc.refreshTokenGrant(conf, refreshToken);
      const next = await sessionFromTokens(d, tokens, data);
      d.metrics.sessionRefreshes.labels('success').inc();
      return next;
    } catch (cause) {
      const e = translateGrantError(cause, 'refresh', conf);
      if (e.code === 'ERR_IDP_UNAVAILABLE') {
        d.metrics.sessionRefreshes.labels('error').inc();
        throw e;
      }
      d.metrics.sessionRefreshes.labels('failure').inc();
      d.log.info('session refresh refused; session ended', { sub: data.sub, detail: e.detail });
      return 'ended';
    }
  }
}
