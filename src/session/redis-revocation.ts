/** Revocations shared across replicas through Redis: a local mirror answers the hot path, Redis keys and pub/sub keep it complete. */
import { Redis } from 'ioredis';
import { AuthError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { connectionOptions, errorMessage, escapeGlob, parseKey, parseMessage, quit, READ_LUA, REVOKE_LUA, validTiming, type RedisBounds, type Role } from './redis-wire.js';
import { MemoryRevocationStore, type RevocationKind, type RevocationStore } from './revocation.js';

export type { RedisBounds } from './redis-wire.js';

/** Options for RedisRevocationStore; `now` is the clock of the local mirror (tests pass a fake one). */
export interface RedisRevocationStoreOptions {
  readonly url: string;
  readonly log: Logger;
  readonly now?: () => number;
  readonly keyPrefix?: string;
  /** redis.connectTimeoutMs and redis.commandTimeoutMs (defaults 3000 and 2000). */
  readonly bounds?: RedisBounds;
}

/** Key prefix used when none is given: keys are `keygate:revoked:<kind>:<value>`, the channel `keygate:revocations`. */
export const DEFAULT_KEY_PREFIX = 'keygate:';

// A revoke against a hung Redis rejects after commandTimeoutMs, so Keycloak retries; a connect gives up after connectTimeoutMs.
const DEFAULT_BOUNDS: RedisBounds = { connectTimeoutMs: 3_000, commandTimeoutMs: 2_000 };
const HEARTBEAT_MS = 5_000; // pings give the socket timeout (redis-wire.ts) something to time, so a half-open subscriber is noticed
const RELOAD_RETRY_MS = 1_000;
const BOOT_WAIT_MS = 2_000;
const SCAN_COUNT = 500;

/**
 * Revocation store shared by every replica through one Redis.
 *
 * Invariant (fail closed): `healthy` is true only while both connections are ready and the load that
 * follows the subscriber's latest (re)connect has completed. Subscribing happens before that load, so
 * while `healthy` is true the mirror holds every revocation in Redis. While it is false the session layer
 * sends every session to Keycloak for a refresh: a revoked session then cannot come back, and a session
 * Keycloak has ended fails its refresh. Nothing here ever answers "not revoked" because Redis failed.
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #mirror: MemoryRevocationStore;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #waiters = new Set<(ok: boolean) => void>();
  readonly #lost: Record<Role, boolean> = { command: false, subscriber: false };
  #generation = 0; // bumped whenever a load in flight can no longer make the mirror complete
  #loaded = false;
  #closed = false;

  constructor(options: RedisRevocationStoreOptions) {
    this.#now = options.now ?? Date.now;
    this.#mirror = new MemoryRevocationStore(this.#now);
    this.#log = options.log;
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#channel = `${this.#prefix}revocations`;
    const bounds = options.bounds ?? DEFAULT_BOUNDS;
    this.#cmd = this.#connect(options.url, 'command', bounds);
    this.#sub = this.#connect(options.url, 'subscriber', bounds);
    this.#sub.on('message', (channel, message) => this.#onMessage(channel, message));
    this.#heartbeat = setInterval(() => {
      for (const conn of [this.#cmd, this.#sub]) if (conn.status === 'ready') conn.ping().catch(() => {});
    }, HEARTBEAT_MS).unref();
  }

  /** True only while the mirror is known to be complete (see the class comment); otherwise refresh every session. */
  get healthy(): boolean {
    return !this.#closed && this.#loaded && this.#cmd.status === 'ready' && this.#sub.status === 'ready';
  }

  /** Records locally first (this replica never lets the session through again), then in Redis; rejects if Redis did not take it. */
  async revoke(kind: RevocationKind, value: string, at: number, ttlSeconds: number): Promise<void> {
    if (!validTiming(at, ttlSeconds)) throw new RangeError(`revoke: at must be finite epoch ms and ttlSeconds finite > 0, got ${at} and ${ttlSeconds}`);
    this.#apply(kind, value, at, ttlSeconds);
    if (this.#closed) throw new AuthError('ERR_INTERNAL', { detail: `revocation store is closed; the ${kind} revocation holds on this replica only` });
    const px = String(Math.max(1, Math.ceil(ttlSeconds * 1000)));
    const message = JSON.stringify({ kind, value, at, ttlSeconds });
    try {
      await this.#cmd.eval(REVOKE_LUA, 1, `${this.#prefix}revoked:${kind}:${value}`, String(at), px, this.#channel, message);
    } catch (cause) {
      // The caller answers 5xx, so Keycloak retries the back-channel logout.
      const detail = `Redis did not record the ${kind} revocation (${errorMessage(cause)}); it holds on this replica only`;
      throw new AuthError('ERR_INTERNAL', { detail, cause });
    }
  }

  /** Reads the local mirror only; never does I/O. */
  isRevoked(sid: string | undefined, sub: string, createdAt: number): boolean {
    return this.#mirror.isRevoked(sid, sub, createdAt);
  }

  /** Resolves true once healthy, or false when `timeoutMs` passes or the store is closed first. */
  whenHealthy(timeoutMs: number): Promise<boolean> {
    if (this.healthy || this.#closed) return Promise.resolve(this.healthy);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** Quits both connections (or drops them when they are not up); the mirror stays readable but the store is unhealthy. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#invalidate();
    clearInterval(this.#heartbeat);
    for (const wake of [...this.#waiters]) wake(false);
    await Promise.all([quit(this.#cmd), quit(this.#sub)]);
  }

  #connect(url: string, role: Role, bounds: RedisBounds): Redis {
    const conn = new Redis(url, connectionOptions(role, bounds));
    conn.on('ready', () => this.#onReady(role));
    conn.on('error', (err: Error) => this.#lose(role, 'revocation store: redis connection error', err.message));
    conn.on('close', () => {
      this.#lose(role, 'revocation store: redis connection lost; sessions are re-checked at Keycloak until it is back');
      if (role === 'subscriber') this.#invalidate();
    });
    return conn;
  }

  /** Logs the first error or close of an outage, not one per reconnect attempt. */
  #lose(role: Role, msg: string, error?: string): void {
    if (this.#lost[role] || this.#closed) return;
    this.#lost[role] = true;
    this.#log.warn(msg, { role, error });
  }

  #onReady(role: Role): void {
    if (this.#closed) return;
    if (this.#lost[role]) this.#log.info('revocation store: redis connection is back', { role });
    this.#lost[role] = false;
    // A new subscriber connection may have missed messages: reload. A command connection coming back
    // only matters if a load is still owed (the subscriber kept the mirror complete meanwhile).
    if (role === 'subscriber' || !this.#loaded) void this.#reload();
  }

  #invalidate(): void {
    this.#generation++;
    this.#loaded = false;
  }

  /** Subscribes, then loads every revocation key; marks the mirror complete unless superseded meanwhile. */
  async #reload(): Promise<void> {
    this.#invalidate();
    const generation = this.#generation;
    if (this.#cmd.status !== 'ready' || this.#sub.status !== 'ready') return; // the other connection's 'ready' calls again
    try {
      // Subscribe first: anything published from here on arrives as a message, anything before is in the scan.
      await this.#sub.subscribe(this.#channel);
      const count = await this.#loadAll(generation);
      if (generation !== this.#generation) return;
      this.#loaded = true;
      this.#log.info('revocation store: loaded revocations from redis', { count });
      for (const wake of [...this.#waiters]) wake(true);
    } catch (err) {
      if (generation !== this.#generation || this.#closed) return;
      this.#log.warn('revocation store: loading from redis failed; retrying', { error: errorMessage(err) });
      setTimeout(() => { if (generation === this.#generation) void this.#reload(); }, RELOAD_RETRY_MS).unref();
    }
  }

  async #loadAll(generation: number): Promise<number> {
    const pattern = `${escapeGlob(this.#prefix)}revoked:*`;
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await this.#cmd.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      if (generation !== this.#generation) return count;
      if (keys.length > 0) count += this.#applyLoaded(keys, await this.#cmd.eval(READ_LUA, keys.length, ...keys));
      cursor = next;
    } while (cursor !== '0');
    return count;
  }

  #applyLoaded(keys: readonly string[], reply: unknown): number {
    if (!Array.isArray(reply) || reply.length !== keys.length * 2) throw new Error('unexpected reply to the revocation read script');
    const now = this.#now();
    let applied = 0;
    let malformed = 0;
    keys.forEach((key, i) => {
      const raw: unknown = reply[2 * i];
      const pttl: unknown = reply[2 * i + 1];
      if (pttl === -2) return; // expired between SCAN and read
      const parsed = parseKey(this.#prefix, key);
      const at = typeof raw === 'string' && raw !== '' ? Number(raw) : Number.NaN;
      if (parsed === undefined || !Number.isFinite(at) || typeof pttl !== 'number') {
        malformed++;
        return;
      }
      // The key's remaining lifetime becomes the mirror's expiry; a key without one (-1) never expires here either.
      this.#apply(parsed.kind, parsed.value, at, pttl < 0 ? Number.POSITIVE_INFINITY : (now + pttl - at) / 1000);
      applied++;
    });
    if (malformed > 0) this.#log.warn('revocation store: ignored malformed revocation keys in redis', { count: malformed });
    return applied;
  }

  #onMessage(channel: string, message: string): void {
    if (channel !== this.#channel) return;
    const m = parseMessage(message);
    // The content is never logged: it names a user or session.
    if (m === undefined) this.#log.warn('revocation store: ignored a malformed message on the revocation channel', { bytes: message.length });
    else this.#apply(m.kind, m.value, m.at, m.ttlSeconds);
  }

  #apply(kind: RevocationKind, value: string, at: number, ttlSeconds: number): void {
    // MemoryRevocationStore.revoke never awaits: the entry is in place when this returns.
    void this.#mirror.revoke(kind, value, at, ttlSeconds);
  }

}

/** The memory store when no Redis URL is configured; otherwise a Redis store, waited for briefly (it starts unhealthy if Redis is down). */
export async function createRevocationStore(redisUrl: string | undefined, opts: { log: Logger; now?: () => number; keyPrefix?: string; bounds?: RedisBounds }): Promise<RevocationStore> {
  if (redisUrl === undefined) return new MemoryRevocationStore(opts.now);
  const protocol = URL.canParse(redisUrl) ? new URL(redisUrl).protocol : undefined;
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    // The URL itself may hold a password: only its scheme is reported.
    const got = protocol === undefined ? 'an unparsable URL' : `scheme "${protocol}"`;
    throw new AuthError('ERR_CONFIG_INVALID', { detail: `redis URL must use redis:// or rediss://, got ${got}` });
  }
  const store = new RedisRevocationStore({ url: redisUrl, ...opts });
  if (!(await store.whenHealthy(BOOT_WAIT_MS))) {
    opts.log.warn('revocation store: redis is not reachable yet; every session is re-checked at Keycloak until it is', { waitedMs: BOOT_WAIT_MS });
  }
  return store;
}
