/**
 * JWKS key cache: signature keys only; an unknown `kid` waits (bounded, shared) for a refetch that started after it
 * arrived, so a key added by a rotation is never refused with 401; fetches are bounded in time, bytes and keys;
 * cached keys survive an IdP outage.
 */
import { importJWK, type JWK, type JWSHeaderParameters } from 'jose';
import { AuthError } from '../errors.js';
import { isRecord } from './claims.js';
import { readBody } from '../util/bounded-fetch.js';
import { importVerificationKey, type VerificationKey } from './jws.js';

/** Removed kids remembered (a realm rarely holds more than a few keys). */
const REMOVED_KIDS = 256;

/** Imported public key as jose returns it. */
type PublicKey = Awaited<ReturnType<typeof importJWK>>;

/** Defaults of the JWKS bounds (ms, bytes, keys). */
export const JWKS_DEFAULTS = {
  cooldownMs: 10_000,
  maxWaitMs: 5_000,
  maxWaiters: 1_000,
  timeoutMs: 5_000,
  maxBytes: 512 * 1024,
  maxKeys: 100,
} as const;

/** Options of a JwksCache. `fetch`, `now` and `sleep` are code-level test hooks. */
export interface JwksOptions {
  readonly jwksUri: string;
  readonly algorithms: readonly string[];
  readonly fetch: typeof fetch;
  readonly now: () => number;
  /** Waits `ms` (default: a timer); a fake clock advances itself here. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Minimum time between two refetches triggered by unknown kids (ms). */
  readonly cooldownMs?: number;
  /** Longest a token with an unknown kid waits for the next allowed refetch before 503 (ms). */
  readonly maxWaitMs?: number;
  /** Tokens with unknown kids waiting at once; more get 503 at once (memory stays bounded under a flood). */
  readonly maxWaiters?: number;
  /** Whole fetch, body included (ms). */
  readonly timeoutMs?: number;
  /** Largest JWKS body accepted (bytes). */
  readonly maxBytes?: number;
  /** Most entries a JWKS `keys` array may have; more fails the fetch (fail closed). */
  readonly maxKeys?: number;
  /** Called after every fetch attempt. */
  readonly onFetch?: (ok: boolean, detail?: string) => void;
}

/** Why no fetch started after a token arrived: the last one failed, or the rate limit holds past the wait bound. */
type FetchOutcome = 'ok' | 'failed' | 'busy';

/** Keeps the issuer's `use=sig` keys; refetches when an unknown `kid` shows up, at most once per cooldown. */
export class JwksCache {
  readonly #opts: JwksOptions;
  #keys = new Map<string, JWK>();
  readonly #imported = new Map<string, PublicKey>();
  readonly #verification = new Map<string, VerificationKey>();
  #loaded = false;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #lastOk = false;
  #removals = 0;
  /** Kids a fetch dropped (most recent last, bounded): their tokens are refused at once, not held as maybe-new. */
  readonly #removed = new Set<string>();
  #inflight: Promise<boolean> | undefined;
  #inflightStart = Number.NEGATIVE_INFINITY;
  /** The one timer all waiters share until the next refetch is allowed. */
  #wake: Promise<void> | undefined;
  #waiters = 0;

  constructor(opts: JwksOptions) {
    this.#opts = opts;
  }

  /** True once a JWKS has been fetched successfully at least once. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Number of signature keys held. */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * Counts fetches that dropped a kid (a key disabled or deleted at the IdP). Verifiers compare it with the value
   * they cached under, and drop their cached verifications when it moved: none may outlive its key.
   */
  get removals(): number {
    return this.#removals;
  }

  /** Fetches the JWKS now (deduplicated). Resolves to whether it succeeded; never rejects. */
  refresh(): Promise<boolean> {
    if (this.#inflight === undefined) {
      this.#inflightStart = this.#opts.now();
      this.#inflight = this.#fetch().finally(() => {
        this.#inflight = undefined;
      });
    }
    return this.#inflight;
  }

  async #fetch(): Promise<boolean> {
    this.#lastAttempt = this.#opts.now();
    try {
      const keys = signatureKeys(await this.#download(), this.#opts.maxKeys ?? JWKS_DEFAULTS.maxKeys);
      this.#noteRemovals(keys);
      this.#keys = keys;
      this.#imported.clear();
      this.#verification.clear();
      this.#loaded = true;
      this.#lastOk = true;
      this.#opts.onFetch?.(true);
      return true;
    } catch (err) {
      this.#lastOk = false;
      this.#opts.onFetch?.(false, `JWKS ${this.#opts.jwksUri}: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  /** Counts a fetch that dropped kids and remembers them; a kid published again is forgotten. */
  #noteRemovals(keys: ReadonlyMap<string, JWK>): void {
    let dropped = false;
    for (const kid of this.#keys.keys()) {
      if (keys.has(kid)) continue;
      dropped = true;
      this.#removed.delete(kid);
      this.#removed.add(kid);
      if (this.#removed.size > REMOVED_KIDS) this.#removed.delete(this.#removed.values().next().value ?? '');
    }
    for (const kid of keys.keys()) this.#removed.delete(kid);
    if (dropped) this.#removals++;
  }

  /** GETs the JWKS within the time and size bounds; throws a message naming what went wrong (cause, status, bound). */
  async #download(): Promise<unknown> {
    const { jwksUri } = this.#opts;
    const timeoutMs = this.#opts.timeoutMs ?? JWKS_DEFAULTS.timeoutMs;
    const maxBytes = this.#opts.maxBytes ?? JWKS_DEFAULTS.maxBytes;
    let res: Response;
    try {
      // The signal also covers the body: a server that sends headers and then trickles is cut off too.
      res = await this.#opts.fetch(jwksUri, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await readBody(res, maxBytes, jwksUri);
      return JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
    } catch (err) {
      const why = err instanceof Error && err.name === 'TimeoutError' ? `no complete answer within ${timeoutMs} ms` : describe(err);
      throw new Error(why, { cause: err });
    }
  }

  /** Resolves the key for a token header as jose takes it (logout tokens); throws AuthError (invalid token, or IdP unavailable). */
  async resolve(header: JWSHeaderParameters): Promise<PublicKey> {
    const { jwk, alg } = await this.#jwkFor(header);
    const cacheKey = `${jwk.kid ?? ''}\u0000${alg}`;
    let key = this.#imported.get(cacheKey);
    if (key === undefined) {
      try {
        key = await importJWK(jwk, alg);
      } catch (cause) {
        throw new AuthError('ERR_TOKEN_INVALID', { detail: `key ${String(jwk.kid)} cannot be used with ${alg}`, cause });
      }
      this.#imported.set(cacheKey, key);
    }
    return key;
  }

  /** Resolves the node:crypto verification key for a token header (bearer tokens, see jws.ts); throws AuthError. */
  async verificationKey(header: JWSHeaderParameters): Promise<VerificationKey> {
    const { jwk, alg } = await this.#jwkFor(header);
    const cacheKey = `${jwk.kid ?? ''}\u0000${alg}`;
    let key = this.#verification.get(cacheKey);
    if (key === undefined) {
      key = importVerificationKey(jwk as Readonly<Record<string, unknown>>, alg);
      this.#verification.set(cacheKey, key);
    }
    return key;
  }

  /**
   * The JWK for a header: alg allowed, kid known, key declared for that alg. An unknown kid is refused with 401 only
   * after a JWKS fetched after the token arrived lacks it (issue 12: a key that may just have been added is never a
   * 401); when no such fetch can happen within the wait bound, or it fails, the answer is 503.
   */
  async #jwkFor(header: JWSHeaderParameters): Promise<{ jwk: JWK; alg: string }> {
    const alg = header.alg;
    if (alg === undefined || !this.#opts.algorithms.includes(alg)) {
      throw new AuthError('ERR_TOKEN_INVALID', { detail: `alg ${String(alg)} is not allowed` });
    }
    let jwk = this.#find(header);
    if (jwk === undefined) {
      const kid = JSON.stringify(header.kid ?? null);
      const outcome = await this.#fetchStartedAfter(this.#opts.now());
      // A fetch that completed while this token waited may have brought the key (tokens that arrive during the refetch
      // a rotation's first token started): a key the cache holds needs no fresher fetch (found by the soak, issue 12.9).
      jwk = this.#find(header);
      if (jwk === undefined) {
        // A kid this cache saw dropped (key disabled or deleted) is no new key: 401, so clients get a new token.
        if (outcome === 'busy' && this.#removed.has(header.kid ?? '')) throw new AuthError('ERR_TOKEN_INVALID', { detail: `the key with kid ${kid} was removed from the JWKS (disabled or deleted at the IdP)` });
        if (outcome === 'busy') throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: `no signature key with kid ${kid} yet, and the JWKS refetch is rate-limited (${this.#waiters} waiting); retry` });
        if (outcome === 'failed') throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: `no cached key with kid ${kid}, and the JWKS could not be fetched` });
        throw new AuthError('ERR_TOKEN_INVALID', { detail: `no signature key with kid ${kid} in the JWKS fetched after the token arrived` });
      }
    }
    if (jwk.alg !== undefined && jwk.alg !== alg) throw new AuthError('ERR_TOKEN_INVALID', { detail: `key ${String(jwk.kid)} is for ${jwk.alg}, token says ${alg}` });
    return { jwk, alg };
  }

  /**
   * Waits for a JWKS fetch that starts at or after `arrival`: joins one in flight, starts one when the cooldown
   * allows, or sleeps on the shared timer until it does (at most maxWaitMs, at most maxWaiters at once).
   */
  async #fetchStartedAfter(arrival: number): Promise<FetchOutcome> {
    const cooldown = this.#loaded ? (this.#opts.cooldownMs ?? JWKS_DEFAULTS.cooldownMs) : 1000;
    const deadline = arrival + (this.#opts.maxWaitMs ?? JWKS_DEFAULTS.maxWaitMs);
    // Each pass ends in a return or waits for a fetch or the cooldown to end: three passes reach a fresh fetch.
    for (let pass = 0; pass < 4; pass++) {
      if (this.#inflight !== undefined && this.#inflightStart >= arrival) return (await this.#inflight) ? 'ok' : 'failed';
      if (this.#inflight !== undefined) {
        if (!(await this.#waiting(this.#inflight))) return 'busy';
        continue;
      }
      const wait = this.#lastAttempt + cooldown - this.#opts.now();
      if (wait <= 0) return (await this.refresh()) ? 'ok' : 'failed';
      // A failed last fetch says nothing about the kid: answer 503 now rather than hold requests during an outage.
      if (!this.#lastOk) return 'failed';
      if (this.#opts.now() + wait > deadline) return 'busy';
      this.#wake ??= this.#sleep(wait).finally(() => {
        this.#wake = undefined;
      });
      if (!(await this.#waiting(this.#wake))) return 'busy';
    }
    return 'busy';
  }

  /** Awaits `p` as one of the bounded waiters; false (without waiting) when too many wait already. */
  async #waiting(p: Promise<unknown>): Promise<boolean> {
    if (this.#waiters >= (this.#opts.maxWaiters ?? JWKS_DEFAULTS.maxWaiters)) return false;
    this.#waiters++;
    try {
      await p;
      return true;
    } finally {
      this.#waiters--;
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#opts.sleep !== undefined) return this.#opts.sleep(ms);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  #find(header: JWSHeaderParameters): JWK | undefined {
    if (header.kid !== undefined) return this.#keys.get(header.kid);
    // No kid: usable only when exactly one signature key exists.
    return this.#keys.size === 1 ? this.#keys.values().next().value : undefined;
  }
}

/** Keeps only public signature keys (`use` absent or `sig`) that carry a kid or are alone; more than `maxKeys` entries is an error. */
export function signatureKeys(body: unknown, maxKeys: number = JWKS_DEFAULTS.maxKeys): Map<string, JWK> {
  if (!isRecord(body) || !Array.isArray(body['keys'])) throw new Error('JWKS has no "keys" array');
  const all = body['keys'] as unknown[];
  if (all.length > maxKeys) throw new Error(`JWKS has ${all.length} keys, more than the ${maxKeys} accepted`);
  const out = new Map<string, JWK>();
  for (const k of all) {
    if (!isRecord(k) || typeof k['kty'] !== 'string') continue;
    if (k['use'] !== undefined && k['use'] !== 'sig') continue;
    if ('d' in k) continue; // never accept private key material as a verification key
    const kid = typeof k['kid'] === 'string' ? k['kid'] : '';
    out.set(kid, k as JWK);
  }
  return out;
}

/** A fetch failure with its low-level cause (ECONNREFUSED, DNS, TLS) when undici wrapped one. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${err.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return err.message;
}
