/** JWKS key cache: signature keys only, rate-limited refetch on unknown kid, cached keys survive an IdP outage. */
import { importJWK, type JWK, type JWSHeaderParameters } from 'jose';
import { AuthError } from '../errors.js';
import { isRecord } from './claims.js';
import { importVerificationKey, type VerificationKey } from './jws.js';

/** Imported public key as jose returns it. */
type PublicKey = Awaited<ReturnType<typeof importJWK>>;

/** Options of a JwksCache. `fetch` and `now` are code-level test hooks. */
export interface JwksOptions {
  readonly jwksUri: string;
  readonly algorithms: readonly string[];
  readonly fetch: typeof fetch;
  readonly now: () => number;
  /** Minimum time between two refetches triggered by unknown kids (ms). */
  readonly cooldownMs?: number;
  readonly timeoutMs?: number;
  /** Called after every fetch attempt. */
  readonly onFetch?: (ok: boolean, detail?: string) => void;
}

/** Keeps the issuer's `use=sig` keys, refetching at most once per cooldown when an unknown `kid` shows up. */
export class JwksCache {
  readonly #opts: JwksOptions;
  #keys = new Map<string, JWK>();
  readonly #imported = new Map<string, PublicKey>();
  readonly #verification = new Map<string, VerificationKey>();
  #loaded = false;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #lastOk = false;
  #inflight: Promise<boolean> | undefined;

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

  /** Fetches the JWKS now (deduplicated). Resolves to whether it succeeded; never rejects. */
  refresh(): Promise<boolean> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<boolean> {
    this.#lastAttempt = this.#opts.now();
    try {
      const res = await this.#opts.fetch(this.#opts.jwksUri, { signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 5000), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`JWKS answered HTTP ${res.status}`);
      const body: unknown = await res.json();
      const keys = signatureKeys(body);
      this.#keys = keys;
      this.#imported.clear();
      this.#verification.clear();
      this.#loaded = true;
      this.#lastOk = true;
      this.#opts.onFetch?.(true);
      return true;
    } catch (err) {
      this.#lastOk = false;
      this.#opts.onFetch?.(false, err instanceof Error ? err.message : String(err));
      return false;
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

  /** The JWK for a header: alg allowed, kid known (refetching within the cooldown), key declared for that alg. */
  async #jwkFor(header: JWSHeaderParameters): Promise<{ jwk: JWK; alg: string }> {
    const alg = header.alg;
    if (alg === undefined || !this.#opts.algorithms.includes(alg)) {
      throw new AuthError('ERR_TOKEN_INVALID', { detail: `alg ${String(alg)} is not allowed` });
    }
    let jwk = this.#find(header);
    if (jwk === undefined) {
      // Before the first successful load, retry at most once a second; after it, once per cooldown.
      const cooldown = this.#loaded ? (this.#opts.cooldownMs ?? 10_000) : 1000;
      if (this.#opts.now() - this.#lastAttempt >= cooldown) await this.refresh();
      else if (this.#inflight !== undefined) await this.#inflight;
      if (!this.#lastOk) throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: 'JWKS could not be fetched and no cached key matches' });
      jwk = this.#find(header);
      if (jwk === undefined) throw new AuthError('ERR_TOKEN_INVALID', { detail: `no signature key with kid ${JSON.stringify(header.kid ?? null)}` });
    }
    if (jwk.alg !== undefined && jwk.alg !== alg) throw new AuthError('ERR_TOKEN_INVALID', { detail: `key ${String(jwk.kid)} is for ${jwk.alg}, token says ${alg}` });
    return { jwk, alg };
  }

  #find(header: JWSHeaderParameters): JWK | undefined {
    if (header.kid !== undefined) return this.#keys.get(header.kid);
    // No kid: usable only when exactly one signature key exists.
    return this.#keys.size === 1 ? this.#keys.values().next().value : undefined;
  }
}

/** Keeps only public signature keys (`use` absent or `sig`) that carry a kid or are alone. */
export function signatureKeys(body: unknown): Map<string, JWK> {
  if (!isRecord(body) || !Array.isArray(body['keys'])) throw new Error('JWKS has no "keys" array');
  const out = new Map<string, JWK>();
  for (const k of body['keys'] as unknown[]) {
    if (!isRecord(k) || typeof k['kty'] !== 'string') continue;
    if (k['use'] !== undefined && k['use'] !== 'sig') continue;
    if ('d' in k) continue; // never accept private key material as a verification key
    const kid = typeof k['kid'] === 'string' ? k['kid'] : '';
    out.set(kid, k as JWK);
  }
  return out;
}
