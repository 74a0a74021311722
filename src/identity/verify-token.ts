/** Bearer token verification: JWTs on node:crypto (jws.ts), optional RFC 7662 introspection for opaque tokens, behind a bounded cache. */
import { errors as joseErrors } from 'jose';
import { AuthError, isAuthError } from '../errors.js';
import { identityFromClaims } from './claims.js';
import type { JwksCache } from './jwks.js';
import { checkClaims, parseJwt, verifySignature } from './jws.js';
import type { SignatureWorkers } from './signature-workers.js';
import { ExpiringCache, TokenCache, tokenKey } from './token-cache.js';
import type { Identity } from './types.js';

/** The checks every token must pass (DESIGN §4). */
export interface TokenChecks {
  readonly issuer: string;
  readonly algorithms: readonly string[];
  readonly audiences: readonly string[];
  readonly authorizedParties: readonly string[];
  readonly clockToleranceSeconds: number;
}

/** Introspects an opaque token (RFC 7662); resolves to the response claims. */
export type Introspect = (token: string) => Promise<Readonly<Record<string, unknown>>>;

/** Dependencies of a TokenVerifier. */
export interface VerifierOptions {
  readonly checks: TokenChecks;
  readonly jwks: () => JwksCache | undefined;
  readonly introspect?: Introspect | undefined;
  readonly now: () => number;
  readonly cacheSize?: number;
  /** Upper bound for caching an introspection result (ms); never beyond the token's exp. */
  readonly introspectionTtlMs?: number;
  /** Asks whether a Keycloak session id has been revoked (back-channel logout). */
  readonly isRevoked?: (sid: string) => boolean;
  /** Where signatures are checked (batched worker threads); absent: libuv's thread pool. */
  readonly signatures?: SignatureWorkers | undefined;
  /** Called once per verification outcome (metrics). */
  readonly onResult?: (result: 'valid' | 'invalid' | 'expired' | 'unavailable' | 'cached', via: 'jwt' | 'introspection') => void;
}

/** The detail of an introspection answer `active: false`. */
const NOT_ACTIVE = 'introspection: token is not active';

/** Tokens held whole for the fast lane: 2,048 × a 1-3 KB Keycloak token is 2-7 MB at most. */
const RECENT_TOKENS = 2_048;

/** Verifies bearer tokens into Identities. Throws AuthError only. */
export class TokenVerifier {
  readonly #opts: VerifierOptions;
  readonly #cache: ExpiringCache<Identity>;
  /**
   * Identities by a hash of their content: tokens with the same identity (one user's tokens over a day, a
   * session's refreshes) share one readonly Identity, so each cache entry retains ~150 bytes instead of ~1 KB
   * and verifying a token for a known identity leaves only short-lived garbage (issue #5, memory scenario).
   */
  readonly #identities: ExpiringCache<Identity>;
  /**
   * Tokens seen more than once, held whole and found by their tail (TokenCache): a hit costs ~0.1 µs where hashing
   * the token for #cache costs ~0.6-1.2 µs. Small, so the tokens it holds stay a few MB (issue #5).
   */
  readonly #recent: TokenCache<Identity>;
  /** Verifications in flight by token hash: concurrent requests with one new token share one verification. */
  readonly #inflight = new Map<string, Promise<{ identity: Identity; expiresAt: number }>>();
  #lastToken = '';
  #lastKey = tokenKey('');
  /** JwksCache.removals when the caches were last known to hold only verifications under keys still published. */
  #removals = 0;

  constructor(opts: VerifierOptions) {
    this.#opts = opts;
    // Keyed by SHA-256 of the token, not the token: a TokenCache (whole token held, ~0.1 µs per lookup instead of
    // 1.2 µs) took RSS from 134 to 185-231 MB in the 100k-token memory scenario (issue #5), so the hash stays.
    this.#cache = new ExpiringCache(opts.cacheSize ?? 20_000);
    this.#recent = new TokenCache(Math.min(RECENT_TOKENS, opts.cacheSize ?? RECENT_TOKENS));
    this.#identities = new ExpiringCache(opts.cacheSize ?? 20_000);
  }

  /** The cached identity of `token` when a previous verification still holds (synchronous: the hot path's fast lane). */
  peek(token: string): Identity | undefined {
    this.#syncKeys();
    const cached = this.#lookup(token, this.#opts.now());
    if (cached === undefined) return undefined;
    this.#opts.onResult?.('cached', 'jwt');
    return cached;
  }

  /** Verifies `token`, answering from the cache when a previous verification still holds. */
  async verify(token: string): Promise<Identity> {
    this.#syncKeys();
    const removals = this.#removals;
    const cached = this.#lookup(token, this.#opts.now());
    if (cached !== undefined) {
      this.#opts.onResult?.('cached', 'jwt');
      return cached;
    }
    const key = this.#keyOf(token);
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#verifyFresh(token).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    const { identity, expiresAt } = await pending;
    if (this.#revoked(identity)) throw new AuthError('ERR_TOKEN_INVALID', { detail: 'the session of this token was logged out' });
    // A key dropped from the JWKS while this token was being verified: answer, but do not remember the answer.
    this.#syncKeys();
    if (removals === this.#removals) this.#cache.set(key, identity, expiresAt);
    return identity;
  }

  /**
   * Drops every cached verification once a JWKS refresh dropped a kid (key disabled or deleted in Keycloak): a token
   * verified under that key must be refused from then on. Everything goes rather than the tokens of that kid: key
   * removals are rare (a rotation every few months), re-verifying a token costs ~25 µs, and entries stay kid-free
   * (memory, issue #5).
   */
  #syncKeys(): void {
    const removals = this.#opts.jwks()?.removals;
    if (removals === undefined || removals === this.#removals) return;
    this.#removals = removals;
    this.#cache.deleteWhere(() => true);
    this.#recent.deleteWhere(() => true);
  }

  /**
   * The fast lane, then the hashed cache. A token found in the hashed cache moves into the fast lane: a token seen
   * twice is likely to be seen again, while one-off tokens (the cold path) never pay for the fast lane's insert.
   */
  #lookup(token: string, now: number): Identity | undefined {
    let identity = this.#recent.get(token, now);
    if (identity === undefined) {
      const entry = this.#cache.entry(this.#keyOf(token), now);
      if (entry === undefined) return undefined;
      identity = entry.value;
      this.#recent.set(token, identity, entry.expiresAt);
    }
    return this.#revoked(identity) ? undefined : identity;
  }

  /** SHA-256 of `token`, computed once when a peek() miss is followed by verify() of the same token. */
  #keyOf(token: string): string {
    if (token !== this.#lastToken) {
      this.#lastToken = token;
      this.#lastKey = tokenKey(token);
    }
    return this.#lastKey;
  }

  /** Drops cached results for a revoked Keycloak session or subject. */
  forget(pred: (identity: Identity) => boolean): void {
    this.#cache.deleteWhere(pred);
    this.#recent.deleteWhere(pred);
  }

  #revoked(identity: Identity): boolean {
    return identity.sid !== undefined && this.#opts.isRevoked?.(identity.sid) === true;
  }

  async #verifyFresh(token: string): Promise<{ identity: Identity; expiresAt: number }> {
    let via: 'jwt' | 'introspection' = looksLikeJwt(token) ? 'jwt' : 'introspection';
    try {
      let claims = via === 'jwt' ? await this.#verifyJwt(token) : await this.#introspect(token);
      if (via === 'jwt' && isLightweight(claims)) {
        via = 'introspection';
        claims = await this.#lightweight(token, claims);
      }
      const identity = this.#accept(claims);
      this.#opts.onResult?.('valid', via);
      return { identity, expiresAt: this.#expiry(claims, via) };
    } catch (err) {
      const e = translate(err);
      this.#opts.onResult?.(e.code === 'ERR_TOKEN_EXPIRED' ? 'expired' : e.code === 'ERR_IDP_UNAVAILABLE' ? 'unavailable' : 'invalid', via);
      throw e;
    }
  }

  /** DESIGN §4 on node:crypto (see jws.ts): parse, allowed alg and known key, signature, then iss/exp/nbf/iat/sub. */
  async #verifyJwt(token: string): Promise<Readonly<Record<string, unknown>>> {
    const jwks = this.#opts.jwks();
    if (jwks === undefined) throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: 'issuer discovery has not completed' });
    const jwt = parseJwt(token);
    const key = await jwks.verificationKey({ alg: jwt.alg, ...(jwt.kid !== undefined ? { kid: jwt.kid } : {}) });
    if (!(await verifySignature(jwt, key, this.#opts.signatures))) throw new AuthError('ERR_TOKEN_INVALID', { detail: 'signature verification failed' });
    const { checks } = this.#opts;
    checkClaims(jwt.payload, { issuer: checks.issuer, clockToleranceSeconds: checks.clockToleranceSeconds, now: this.#opts.now() });
    return jwt.payload;
  }

  async #introspect(token: string): Promise<Readonly<Record<string, unknown>>> {
    if (this.#opts.introspect === undefined) throw new AuthError('ERR_TOKEN_INVALID', { detail: 'not a JWT, and introspection is disabled' });
    // The hook calls Keycloak: whatever it throws that is not already an AuthError is the IdP's trouble (503).
    const claims = await this.#opts.introspect(token).catch((cause: unknown) => {
      throw isAuthError(cause) ? cause : new AuthError('ERR_IDP_UNAVAILABLE', { detail: `introspection: ${cause instanceof Error ? cause.message : String(cause)}`, cause });
    });
    if (claims['active'] !== true) throw new AuthError('ERR_TOKEN_INVALID', { detail: NOT_ACTIVE });
    if (claims['iss'] !== undefined && claims['iss'] !== this.#opts.checks.issuer) throw new AuthError('ERR_TOKEN_INVALID', { detail: 'introspection: unexpected iss' });
    const exp = claims['exp'];
    if (typeof exp !== 'number' || exp * 1000 <= this.#opts.now()) throw new AuthError('ERR_TOKEN_EXPIRED', { detail: 'introspection: exp missing or past' });
    return claims;
  }

  /**
   * A Keycloak lightweight access token (client attribute `client.use.lightweight.access.token.enabled`) is a signed
   * JWT without sub, aud or roles. Its signature, iss and exp are verified already; RFC 7662 introspection with
   * keygate's client credentials gives the claims it leaves out. Without introspection it is refused (401).
   */
  async #lightweight(token: string, jwt: Readonly<Record<string, unknown>>): Promise<Readonly<Record<string, unknown>>> {
    const azp = typeof jwt['azp'] === 'string' ? jwt['azp'] : '?';
    if (this.#opts.introspect === undefined) {
      throw new AuthError('ERR_TOKEN_INVALID', {
        detail: `the token has no ${jwt['sub'] === undefined ? 'sub, ' : ''}aud or roles: a Keycloak lightweight access token (client ${JSON.stringify(azp)} has "client.use.lightweight.access.token.enabled"); set KEYGATE_INTROSPECTION=true to accept such tokens through introspection, or turn that client setting off`,
      });
    }
    let claims: Readonly<Record<string, unknown>>;
    try {
      claims = await this.#introspect(token);
    } catch (err) {
      // Signature and exp hold, yet Keycloak says inactive: the session ended, or keygate is not in the token's
      // audience (Keycloak 26.6.2+ introspects only for clients in `aud`, CVE-2026-37979).
      if (!isAuthError(err) || err.detail !== NOT_ACTIVE) throw err;
      throw new AuthError('ERR_TOKEN_INVALID', {
        detail: `introspection answered active=false for a lightweight token whose signature and exp are valid: its session has ended, or keygate is not in its audience (Keycloak 26.6.2+ introspects only for clients in aud; give client ${JSON.stringify(azp)} an audience mapper for keygate with "add to token introspection" on)`,
        cause: err,
      });
    }
    if (jwt['jti'] !== undefined && claims['jti'] !== undefined && claims['jti'] !== jwt['jti']) throw new AuthError('ERR_TOKEN_INVALID', { detail: 'introspection answered for another token (jti differs)' });
    // The signed exp bounds the answer, whatever introspection says (the cache never outlives the token).
    const exp = Math.min(Number(claims['exp']), Number(jwt['exp']));
    return { ...claims, exp };
  }

  /** Keycloak-specific checks after the signature: typ, then aud or azp. */
  #accept(claims: Readonly<Record<string, unknown>>): Identity {
    if (claims['typ'] !== 'Bearer') throw new AuthError('ERR_TOKEN_INVALID', { detail: `typ must be "Bearer", got ${JSON.stringify(claims['typ'] ?? null)}` });
    if (!audienceOk(claims, this.#opts.checks)) throw new AuthError('ERR_TOKEN_INVALID', { detail: 'neither aud nor azp names an accepted audience or authorized party' });
    const identity = identityFromClaims(claims, 'bearer');
    if (identity === undefined) throw new AuthError('ERR_TOKEN_INVALID', { detail: 'sub is missing' });
    return this.#shared(identity);
  }

  /** The interned Identity equal to `identity` (same JSON, field for field), or `identity` itself, now interned. */
  #shared(identity: Identity): Identity {
    const key = tokenKey(JSON.stringify(identity));
    const known = this.#identities.get(key, 0);
    if (known !== undefined) return known;
    this.#identities.set(key, identity, Number.POSITIVE_INFINITY);
    return identity;
  }

  #expiry(claims: Readonly<Record<string, unknown>>, via: 'jwt' | 'introspection'): number {
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : this.#opts.now();
    return via === 'jwt' ? exp : Math.min(exp, this.#opts.now() + (this.#opts.introspectionTtlMs ?? 60_000));
  }
}

/**
 * A Keycloak lightweight access token: no `sub` (a user's token), or none of `aud`, `realm_access`,
 * `resource_access` and `preferred_username` (Keycloak 26.7 keeps `sub` in a service account's lightweight token; a
 * full token always carries `preferred_username`, so a user without roles is not mistaken for one). Such a token
 * cannot be decided on by itself: it is introspected, or refused.
 */
export function isLightweight(claims: Readonly<Record<string, unknown>>): boolean {
  if (claims['sub'] === undefined) return true;
  return ['aud', 'realm_access', 'resource_access', 'preferred_username'].every((c) => claims[c] === undefined);
}

/** `aud` contains an accepted audience, or `azp` is an accepted authorized party. */
export function audienceOk(claims: Readonly<Record<string, unknown>>, checks: Pick<TokenChecks, 'audiences' | 'authorizedParties'>): boolean {
  const aud = claims['aud'];
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (auds.some((a) => typeof a === 'string' && checks.audiences.includes(a))) return true;
  const azp = claims['azp'];
  return typeof azp === 'string' && checks.authorizedParties.includes(azp);
}

/** Three base64url segments: cheap structural test before any crypto. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * The one place where verification errors become keygate errors (cause kept, detail private). An unreachable IdP
 * arrives here already as ERR_IDP_UNAVAILABLE (JWKS, introspection); anything unexpected is a bug: ERR_INTERNAL (500).
 */
export function translate(err: unknown): AuthError {
  if (isAuthError(err)) return err;
  if (err instanceof joseErrors.JWTExpired) return new AuthError('ERR_TOKEN_EXPIRED', { detail: 'exp is in the past', cause: err });
  if (err instanceof joseErrors.JOSEError) return new AuthError('ERR_TOKEN_INVALID', { detail: `${err.code}: ${err.message}`, cause: err });
  return new AuthError('ERR_INTERNAL', { detail: err instanceof Error ? err.message : String(err), cause: err });
}
