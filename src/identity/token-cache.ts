/** A bounded cache of verified token results, keyed by a hash of the token, that never outlives the token. */
import { createHash } from 'node:crypto';

/** Hash of a token used as a cache key; the token itself is never stored. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * LRU-by-insertion cache with per-entry expiry (epoch ms). A Map keeps insertion order,
 * so eviction drops the oldest entry; `get` never returns an entry at or past its expiry.
 */
export class ExpiringCache<V> {
  readonly #max: number;
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The value for `key` if present and `now` is before its expiry. */
  get(key: string, now: number): V | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (now >= e.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Stores `value` until `expiresAt`; evicts the oldest entry when full. */
  set(key: string, value: V, expiresAt: number): void {
    if (this.#entries.has(key)) this.#entries.delete(key);
    else if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  /** Removes every entry whose value matches. */
  deleteWhere(pred: (value: V) => boolean): number {
    let n = 0;
    for (const [k, e] of this.#entries) if (pred(e.value)) { this.#entries.delete(k); n++; }
    return n;
  }

  /** Number of entries (some may be expired but not yet evicted). */
  get size(): number {
    return this.#entries.size;
  }
}
