/** Revocation of sessions by Keycloak session id (`sid`) or subject (`sub`), shared across replicas when Redis is used. */

/** What a revocation names. A `sub` revocation ends every session of that user created at or before it. */
export type RevocationKind = 'sid' | 'sub';

/** The store every replica consults on the hot path (synchronously, from a local mirror). */
export interface RevocationStore {
  /** Records a revocation now (epoch ms `at`), kept for `ttlSeconds` (the session lifetime). */
  revoke(kind: RevocationKind, value: string, at: number, ttlSeconds: number): Promise<void>;
  /** Whether a session (its sid, sub and creation time in epoch ms) has been revoked. Never does I/O. */
  isRevoked(sid: string | undefined, sub: string, createdAt: number): boolean;
  /**
   * False while the store cannot be sure its mirror is complete (Redis disconnected or not yet loaded).
   * Then callers treat every session as needing a refresh at Keycloak (fail closed: a revoked session cannot come back).
   */
  readonly healthy: boolean;
  close(): Promise<void>;
}

/** In-memory store for a single replica. */
export class MemoryRevocationStore implements RevocationStore {
  readonly #entries = new Map<string, { at: number; expiresAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Always complete: there is nothing to lose contact with. */
  get healthy(): boolean {
    return true;
  }

  /** Records the revocation in memory; expired entries are swept as new ones arrive. */
  async revoke(kind: RevocationKind, value: string, at: number, ttlSeconds: number): Promise<void> {
    this.#sweep();
    const key = `${kind}:${value}`;
    const prev = this.#entries.get(key);
    // Never shorten an existing revocation: keep the latest time and the furthest expiry.
    this.#entries.set(key, { at: Math.max(at, prev?.at ?? 0), expiresAt: Math.max(at + ttlSeconds * 1000, prev?.expiresAt ?? 0) });
  }

  /** A sid revocation ends that session; a sub revocation ends that user's sessions created at or before it. */
  isRevoked(sid: string | undefined, sub: string, createdAt: number): boolean {
    if (this.#entries.size === 0) return false;
    const now = this.#now();
    if (sid !== undefined) {
      const e = this.#entries.get(`sid:${sid}`);
      if (e !== undefined && e.expiresAt > now) return true;
    }
    const s = this.#entries.get(`sub:${sub}`);
    return s !== undefined && s.expiresAt > now && createdAt <= s.at;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}

  #sweep(): void {
    const now = this.#now();
    for (const [k, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(k);
  }
}
