/**
 * Bounded first-in-first-out caches of verified credentials that never outlive them: ExpiringCache (any string key)
 * and TokenCache (keyed by the credential itself, found by its tail and confirmed by comparing the whole credential).
 */
import * as crypto from 'node:crypto';

// One-shot crypto.hash (Node >= 20.12) skips the Hash object createHash builds; both give the same digest.
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;

/** SHA-256 of a credential, for caches that must not hold the credential itself (refresh tokens, identities). */
export function tokenKey(token: string): string {
  if (oneShot !== undefined) return oneShot('sha256', token, 'base64url');
  return crypto.createHash('sha256').update(token).digest('base64url');
}

/** One cached value; the queue holds the same object, so a stale queue slot is recognised by identity. */
export interface Entry<V> {
  readonly key: string;
  readonly value: V;
  readonly expiresAt: number;
}

/**
 * First-in-first-out (FIFO) cache with per-entry expiry (epoch ms): when full, `set` evicts the entry inserted
 * first that is still present, however often it was read (a `get` never reorders: reads stay allocation-free on
 * the hot path; an entry set again moves to the back); `get` never returns an entry at or past its expiry.
 *
 * The insertion order is kept in a queue beside the Map rather than read with `map.keys().next()`:
 * V8 leaves a deleted Map slot in place until the table is rehashed, so finding the oldest key by
 * iteration walks every slot evicted since, about 9 µs per `set` on a full 20,000-entry cache
 * (issue #5, cold-bearer bench). Queue slots whose entry was replaced, expired or deleted are skipped.
 */
export class ExpiringCache<V> {
  readonly #max: number;
  readonly #entries = new Map<string, Entry<V>>();
  /** Entries in insertion order from `#head` (slots before it are cleared); may hold stale entries, never more than about 2× `size`. */
  #queue: (Entry<V> | undefined)[] = [];
  #head = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** The value for `key` if present and `now` is before its expiry. */
  get(key: string, now: number): V | undefined {
    return this.entry(key, now)?.value;
  }

  /** The entry (value and expiry) for `key` if present and `now` is before its expiry. */
  entry(key: string, now: number): Entry<V> | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (now >= e.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** Stores `value` until `expiresAt`; evicts the first-inserted entry when full (FIFO). */
  set(key: string, value: V, expiresAt: number): void {
    if (this.#entries.has(key)) this.#entries.delete(key);
    else if (this.#entries.size >= this.#max) this.#evictOldest();
    const entry: Entry<V> = { key, value, expiresAt };
    this.#entries.set(key, entry);
    this.#queue.push(entry);
    if (this.#queue.length > 2 * this.#entries.size + 64) this.#compact();
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

  #evictOldest(): void {
    while (this.#head < this.#queue.length) {
      const e = this.#queue[this.#head];
      this.#queue[this.#head] = undefined; // an evicted value must not stay reachable from the queue
      this.#head++;
      if (e !== undefined && this.#entries.get(e.key) === e) {
        this.#entries.delete(e.key);
        return;
      }
    }
  }

  /** Rebuilds the queue from the Map, whose iteration order is the insertion order of the live entries. */
  #compact(): void {
    this.#queue = [...this.#entries.values()];
    this.#head = 0;
  }
}

/** Characters of a credential's end that locate its slot in a TokenCache (a JWT's signature, a JWE's tag and ciphertext). */
const TAIL = 64;

/** One TokenCache entry: the whole credential, compared on every hit, and what it verified to. */
interface Held<V> {
  readonly token: string;
  readonly value: V;
}

/**
 * An ExpiringCache keyed by a credential (bearer token, sealed session cookie). The slot is found by the
 * credential's last 64 characters, which for a signed or sealed credential are signature or ciphertext, and
 * a hit is confirmed by comparing the whole credential, so a hit is exactly the credential that was verified.
 * Hashing the whole credential (SHA-256 of ~1.7 KB) cost 1.2 µs per answer; this costs about 0.1 µs (issue #5).
 * Two credentials sharing a tail (a forged token reusing a real signature) share one slot: the forged one is
 * never verified, so it is never stored, and at worst the real one is verified again.
 * The price is memory: entries hold the credential (bounded by the cache size; tokens are in memory anyway
 * while requests carry them, and opened sessions hold their tokens too).
 */
export class TokenCache<V> {
  readonly #entries: ExpiringCache<Held<V>>;

  constructor(max: number) {
    this.#entries = new ExpiringCache(max);
  }

  /** The value cached for exactly `token`, if present and `now` is before its expiry. */
  get(token: string, now: number): V | undefined {
    const held = this.#entries.get(slotOf(token), now);
    return held !== undefined && held.token === token ? held.value : undefined;
  }

  /** Stores `value` for `token` until `expiresAt` (replacing whatever held the slot). */
  set(token: string, value: V, expiresAt: number): void {
    this.#entries.set(slotOf(token), { token, value }, expiresAt);
  }

  /** Removes every entry whose value matches. */
  deleteWhere(pred: (value: V) => boolean): number {
    return this.#entries.deleteWhere((held) => pred(held.value));
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The slot key of a credential: its tail (the whole credential when short). */
export function slotOf(token: string): string {
  return token.length > TAIL ? token.slice(-TAIL) : token;
}
