/**
 * Long-lived client credentials for long-running workers (issue 14.1): `Authorization: Basic base64(id:secret)`, what
 * Prefect sends from PREFECT_API_AUTH_STRING, is exchanged at Keycloak's token endpoint with the client-credentials
 * grant (RFC 6749 §4.4) and the access token is cached until it expires. Off unless clients are listed.
 *
 * Invariants: the secret is never logged, put in an error or kept in memory beyond the request (the cache is keyed by
 * a SHA-256 of the credentials); a client Keycloak refuses (disabled, secret rotated) gets no token once its cached
 * one expires, so it loses access within one token lifetime; failed exchanges are rate-limited per client and per
 * peer, so the endpoint cannot be used to guess secrets at Keycloak's expense. Credentials that once obtained a token
 * are exempt from those limits, so a stranger sending wrong secrets cannot lock a working worker out.
 */
import { createHash } from 'node:crypto';
import { AuthError } from '../errors.js';
import { describeIdpError } from './idp-errors.js';

/** Why an exchange produced no token (the metric's `reason` label). */
export type BasicFailure = 'not_listed' | 'malformed' | 'rejected' | 'rate_limited' | 'unavailable';

/** Every failure reason, for the metric's series created at 0. */
export const BASIC_FAILURES: readonly BasicFailure[] = ['not_listed', 'malformed', 'rejected', 'rate_limited', 'unavailable'];

/** Failed exchanges allowed per window, per client id and per peer address. */
export interface BasicLimits {
  readonly perClient: number;
  readonly perPeer: number;
  readonly windowMs: number;
}

/** Defaults: 5 failures per client and 20 per peer in a minute; then refused without asking Keycloak. */
export const DEFAULT_BASIC_LIMITS: BasicLimits = { perClient: 5, perPeer: 20, windowMs: 60_000 };

/** What the exchange needs; all injected (no clock or network of its own). */
export interface BasicExchangeOptions {
  /** Client ids allowed to authenticate this way (`basicClients`). */
  readonly clients: readonly string[];
  /** Keycloak's token endpoint, once discovery succeeded. */
  readonly tokenEndpoint: () => string | undefined;
  readonly fetch: typeof fetch;
  readonly now: () => number;
  /** Called once per failed exchange. */
  readonly onFailure: (reason: BasicFailure) => void;
  readonly limits?: BasicLimits;
  /** Cached tokens kept at most (oldest dropped first). */
  readonly cacheSize?: number;
  /** Seconds before `exp` a cached token is replaced, so it never expires between here and the verifier. */
  readonly marginSeconds?: number;
}

/**
 * Turns the credentials of an `Authorization: Basic` header into an access token, or throws an AuthError. `peer` is
 * the caller's address (the proxy's X-Forwarded-For entry), which the per-peer limit counts.
 */
export type BasicExchange = (credentials: string, peer: string) => Promise<string>;

interface Cached {
  readonly token: string;
  readonly until: number;
}

/** Creates the exchange; the caller verifies the token it returns like any bearer token. */
export function createBasicExchange(opts: BasicExchangeOptions): BasicExchange {
  const allowed = new Set(opts.clients);
  const limits = opts.limits ?? DEFAULT_BASIC_LIMITS;
  const cacheSize = opts.cacheSize ?? 1000;
  const margin = (opts.marginSeconds ?? 10) * 1000;
  const cache = new Map<string, Cached>();
  const inFlight = new Map<string, Promise<Cached>>();
  const failures = new FailureWindow(limits.windowMs);
  // Hashes of credentials Keycloak accepted before: a guess never lands here, so these skip the failure limits.
  const proven = new Set<string>();
  const refuse = (reason: BasicFailure, err: AuthError): never => {
    opts.onFailure(reason);
    throw err;
  };

  return async (credentials, peer) => {
    const parsed = parseBasic(credentials);
    if (parsed === undefined) return refuse('malformed', new AuthError('ERR_TOKEN_INVALID', { detail: 'malformed Authorization: Basic header (want base64 of client_id:client_secret)' }));
    const client = parsed.id;
    if (!allowed.has(client)) return refuse('not_listed', new AuthError('ERR_NO_CREDENTIALS', { detail: `Basic credentials for client ${JSON.stringify(client.slice(0, 64))}, which is not in basicClients` }));
    const key = credentialKey(parsed.id, parsed.secret);
    const now = opts.now();
    const hit = cache.get(key);
    if (hit !== undefined && hit.until > now) return hit.token;
    if (hit !== undefined) cache.delete(key);
    if (!proven.has(key) && (failures.count(`c:${client}`, now) >= limits.perClient || failures.count(`p:${peer}`, now) >= limits.perPeer)) {
      return refuse('rate_limited', new AuthError('ERR_TOKEN_INVALID', { detail: `Basic credentials of client ${JSON.stringify(client)} from ${peer}: too many failed exchanges, retry later` }));
    }
    let pending = inFlight.get(key);
    if (pending === undefined) {
      pending = exchange(opts, parsed.id, parsed.secret, margin).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    try {
      const got = await pending;
      cache.delete(key);
      cache.set(key, got);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
      proven.add(key);
      if (proven.size > cacheSize) proven.delete(proven.values().next().value as string);
      return got.token;
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      const reason: BasicFailure = err.code === 'ERR_IDP_UNAVAILABLE' ? 'unavailable' : 'rejected';
      // Keycloak being down says nothing about the secret: only refusals count towards the limits.
      if (reason === 'rejected') {
        failures.add(`c:${client}`, opts.now());
        failures.add(`p:${peer}`, opts.now());
      }
      return refuse(reason, err);
    }
  };
}

/** `id:secret` from the base64 credentials of a Basic header (RFC 7617: the id has no colon); undefined if malformed. */
export function parseBasic(credentials: string): { id: string; secret: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credentials)) return undefined;
  const text = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) return undefined;
  return { id: text.slice(0, colon), secret: text.slice(colon + 1) };
}

/** The cache key: a SHA-256 of both parts, so neither the secret nor a reversible form of it is kept. */
export function credentialKey(id: string, secret: string): string {
  return createHash('sha256').update(id).update('\0').update(secret).digest('base64url');
}

/** One client-credentials grant; a token valid until `until`, or an AuthError naming the client, never the secret. */
async function exchange(opts: BasicExchangeOptions, id: string, secret: string, margin: number): Promise<Cached> {
  const endpoint = opts.tokenEndpoint();
  if (endpoint === undefined) throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: 'Basic credentials: Keycloak discovery has not succeeded yet' });
  const started = opts.now();
  let res: Response;
  try {
    res = await opts.fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: `Basic credentials of client ${JSON.stringify(id)}: ${describeIdpError(err, 'client credentials', endpoint)}`, cause: err });
  }
  const body = await res.text().catch(() => '');
  if (res.status >= 500 || res.status === 429) throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: `Basic credentials of client ${JSON.stringify(id)}: token endpoint answered ${res.status}` });
  const json = parseJson(body);
  if (res.status !== 200) {
    const error = typeof json?.['error'] === 'string' ? json['error'].slice(0, 64) : `HTTP ${res.status}`;
    throw new AuthError('ERR_TOKEN_INVALID', { detail: `Keycloak refused the client credentials of client ${JSON.stringify(id)} (${error})` });
  }
  const token = json?.['access_token'];
  const expiresIn = json?.['expires_in'];
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: `Basic credentials of client ${JSON.stringify(id)}: the token endpoint's answer has no access_token or expires_in` });
  }
  // Counted from before the request, so the cache never outlives the token.
  return { token, until: started + expiresIn * 1000 - margin };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** Failures per key in a fixed window; keys whose window passed are dropped when counted or on the next add. */
class FailureWindow {
  readonly #windowMs: number;
  readonly #entries = new Map<string, { count: number; resetAt: number }>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  count(key: string, now: number): number {
    const e = this.#entries.get(key);
    if (e === undefined) return 0;
    if (e.resetAt <= now) {
      this.#entries.delete(key);
      return 0;
    }
    return e.count;
  }

  add(key: string, now: number): void {
    if (this.#entries.size > 10_000) for (const [k, e] of this.#entries) if (e.resetAt <= now) this.#entries.delete(k);
    const e = this.#entries.get(key);
    if (e === undefined || e.resetAt <= now) this.#entries.set(key, { count: 1, resetAt: now + this.#windowMs });
    else e.count += 1;
  }
}
