/**
 * What the Redis revocation store puts on the wire: key and message formats, the two Lua scripts, and the options of
 * its connections. Keys are `<prefix>revoked:<kind>:<value>`, the channel `<prefix>revocations`.
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { RevocationKind } from './revocation.js';

/** Timeouts of both connections (config `redis.*`). */
export interface RedisBounds {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

/** Which of the store's two connections. */
export type Role = 'command' | 'subscriber';

const SOCKET_TIMEOUT_MS = 5_000; // no reply at all within this: the socket is dead, reconnect

// Atomically keeps the later `at` (and the longer expiry), then publishes, so a subscriber that
// subscribed before scanning sees every revocation either in the scan or on the channel.
export const REVOKE_LUA = `local at, px = ARGV[1], tonumber(ARGV[2])
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) and tonumber(cur) > tonumber(at) then
  at = cur
  px = math.max(px, redis.call('PTTL', KEYS[1]))
end
redis.call('SET', KEYS[1], at, 'PX', px)
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

// Value and remaining lifetime of each key; '' for a missing or non-string key (Lua nil would cut the array short).
export const READ_LUA = `local out = {}
for _, k in ipairs(KEYS) do
  local v = redis.pcall('GET', k)
  out[#out + 1] = type(v) == 'string' and v or ''
  out[#out + 1] = redis.call('PTTL', k)
end
return out`;

// Without replyMapping: ioredis infers its reply-mapping type parameter from it, and an optional one does not fit.
/** ioredis options of one connection: retried forever, never queueing, bounded by `bounds`. */
export function connectionOptions(role: Role, bounds: RedisBounds): Omit<RedisOptions, 'replyMapping'> {
  return {
    connectionName: `keygate-revocations-${role}`,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times - 1, 5), 2_000), // never gives up
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false, // while down, commands reject at once instead of queueing
    autoResubscribe: false, // #reload subscribes itself, so it knows when the subscription is in place
    commandTimeout: bounds.commandTimeoutMs,
    socketTimeout: Math.max(SOCKET_TIMEOUT_MS, bounds.commandTimeoutMs),
    connectTimeout: bounds.connectTimeoutMs,
  };
}


/** Quits a ready connection (dropping it if QUIT fails); drops one that is not up. */
export async function quit(conn: Redis): Promise<void> {
  if (conn.status !== 'ready') return conn.disconnect();
  await conn.quit().catch(() => conn.disconnect());
}


/** `<prefix>revoked:<kind>:<value>` → kind and value; undefined for any other key. */
export function parseKey(prefix: string, key: string): { kind: RevocationKind; value: string } | undefined {
  const head = `${prefix}revoked:`;
  const rest = key.startsWith(head) ? key.slice(head.length) : '';
  const colon = rest.indexOf(':');
  const [kind, value] = [rest.slice(0, colon), rest.slice(colon + 1)];
  return colon > 0 && isKind(kind) && value !== '' ? { kind, value } : undefined;
}

/** A channel message, `{kind, value, at, ttlSeconds}`, or undefined when it is anything else. */
export function parseMessage(text: string): { kind: RevocationKind; value: string; at: number; ttlSeconds: number } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || !('kind' in v && 'value' in v && 'at' in v && 'ttlSeconds' in v)) return undefined;
  const { kind, value, at, ttlSeconds } = v;
  const ok = typeof kind === 'string' && isKind(kind) && typeof value === 'string' && value !== '' && typeof at === 'number' && typeof ttlSeconds === 'number';
  return ok && validTiming(at, ttlSeconds) ? { kind, value, at, ttlSeconds } : undefined;
}


/** A revocation's time is finite epoch ms and its lifetime finite and positive. */
export const validTiming = (at: number, ttlSeconds: number): boolean => Number.isFinite(at) && Number.isFinite(ttlSeconds) && ttlSeconds > 0;
/** `sid` or `sub`. */
export const isKind = (s: string): s is RevocationKind => s === 'sid' || s === 'sub';
/** `s` with Redis glob characters escaped, for SCAN MATCH. */
export const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');
/** An error's message, or the thrown value as text. */
export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
