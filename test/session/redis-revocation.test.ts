import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { AuthError } from '../../src/errors.js';
import { createRevocationStore, RedisRevocationStore, type RedisRevocationStoreOptions } from '../../src/session/redis-revocation.js';
import { MemoryRevocationStore, type RevocationKind, type RevocationStore } from '../../src/session/revocation.js';
import { silentLogger, type LogFields, type Logger } from '../../src/util/log.js';
import { freePort } from '../support/proc.js';
import { startRedis, startTcpProxy } from '../support/redis.js';

type Line = { level: string; msg: string; fields: LogFields | undefined };
function recordingLog(): Logger & { readonly lines: Line[] } {
  const lines: Line[] = [];
  const rec = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error'), flush() {} };
}

/** Polls `cond` every `everyMs`, or on every event-loop turn when 0 (to catch a state the moment it appears). */
async function eventually(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await (everyMs === 0 ? new Promise((r) => setImmediate(r)) : sleep(everyMs));
  }
}

type Opts = Partial<Omit<RedisRevocationStoreOptions, 'url'>>;
/** A store closed when the test ends; not waited for. */
function open(t: TestContext, url: string, opts: Opts = {}): RedisRevocationStore {
  const store = new RedisRevocationStore({ log: silentLogger, ...opts, url });
  t.after(() => store.close());
  return store;
}
/** A store that has connected and loaded. */
async function ready(t: TestContext, url: string, opts: Opts = {}): Promise<RedisRevocationStore> {
  const store = open(t, url, opts);
  assert.equal(await store.whenHealthy(5_000), true, 'store became healthy');
  return store;
}
function adminClient(t: TestContext, url: string): Redis {
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  t.after(() => admin.disconnect());
  return admin;
}

// ---- the memory store's semantics, run against both implementations ----------------------------

const T0 = 1_700_000_000_000;
type Revocation = readonly [kind: RevocationKind, value: string, at: number, ttlSeconds: number];
interface Case { name: string; revocations: Revocation[]; sid: string | undefined; sub: string; createdAt: number; now: number; want: boolean }
const SID_S1: Revocation = ['sid', 's1', 0, 60];
const SUB_ALICE: Revocation = ['sub', 'alice', 0, 60];
// Times are ms after T0; checks stay well away from expiry edges (a loaded entry's expiry comes from Redis's PTTL).
const CASES: Case[] = [
  { name: 'nothing revoked', revocations: [], sid: 's1', sub: 'alice', createdAt: -5_000, now: 1_000, want: false },
  { name: 'a sid revocation ends that session', revocations: [SID_S1], sid: 's1', sub: 'alice', createdAt: -5_000, now: 1_000, want: true },
  { name: 'a sid revocation ignores the creation time', revocations: [SID_S1], sid: 's1', sub: 'alice', createdAt: 5_000, now: 6_000, want: true },
  { name: "a sid revocation spares the user's other sessions", revocations: [SID_S1], sid: 's2', sub: 'alice', createdAt: -5_000, now: 1_000, want: false },
  { name: 'a sid revocation cannot match a session without sid', revocations: [SID_S1], sid: undefined, sub: 'alice', createdAt: -5_000, now: 1_000, want: false },
  { name: 'a sid revocation expires after its ttl', revocations: [SID_S1], sid: 's1', sub: 'alice', createdAt: -5_000, now: 61_000, want: false },
  { name: 'a sub revocation ends a session created before it', revocations: [SUB_ALICE], sid: 's1', sub: 'alice', createdAt: -5_000, now: 1_000, want: true },
  { name: 'a sub revocation ends a session created at the same ms', revocations: [SUB_ALICE], sid: 's1', sub: 'alice', createdAt: 0, now: 1_000, want: true },
  { name: 'a sub revocation spares a session created after it', revocations: [SUB_ALICE], sid: 's1', sub: 'alice', createdAt: 1, now: 1_000, want: false },
  { name: 'a sub revocation ends sessions without sid', revocations: [SUB_ALICE], sid: undefined, sub: 'alice', createdAt: -5_000, now: 1_000, want: true },
  { name: 'a sub revocation spares other users', revocations: [SUB_ALICE], sid: 's1', sub: 'bob', createdAt: -5_000, now: 1_000, want: false },
  { name: 'a sub revocation expires after its ttl', revocations: [SUB_ALICE], sid: 's1', sub: 'alice', createdAt: -5_000, now: 61_000, want: false },
  { name: 'the later of two sub revocations counts', revocations: [SUB_ALICE, ['sub', 'alice', 10_000, 60]], sid: 's1', sub: 'alice', createdAt: 5_000, now: 11_000, want: true },
  { name: 'an earlier sub revocation arriving second does not undo a later one', revocations: [['sub', 'alice', 10_000, 60], SUB_ALICE], sid: 's1', sub: 'alice', createdAt: 5_000, now: 11_000, want: true },
];

describe('revocation semantics, shared by the memory and Redis stores', () => {
  for (const c of CASES) {
    const check = (store: RevocationStore): boolean => store.isRevoked(c.sid, c.sub, T0 + c.createdAt);
    it(`memory: ${c.name}`, async () => {
      const clock = { t: T0 };
      const store = new MemoryRevocationStore(() => clock.t);
      for (const [kind, value, at, ttl] of c.revocations) await store.revoke(kind, value, T0 + at, ttl);
      clock.t = T0 + c.now;
      assert.equal(check(store), c.want);
    });
    it(`redis: ${c.name} (on the revoking replica, a subscribed peer, and one started afterwards)`, async (t) => {
      const server = await startRedis(t);
      if (server === undefined) return;
      const clock = { t: T0 };
      const now = (): number => clock.t;
      const a = await ready(t, server.url, { now });
      const b = await ready(t, server.url, { now });
      for (const [kind, value, at, ttl] of c.revocations) await a.revoke(kind, value, T0 + at, ttl);
      // Messages arrive in order: once the fence is seen, so is everything before it.
      await a.revoke('sid', 'fence', T0, 600);
      await eventually('peer receives the fence', () => b.isRevoked('fence', 'nobody', T0));
      const late = await ready(t, server.url, { now });
      clock.t = T0 + c.now;
      assert.equal(check(a), c.want, 'revoking replica');
      assert.equal(check(b), c.want, 'peer, via the channel');
      assert.equal(check(late), c.want, 'store started afterwards, via the load');
    });
  }
});

// ---- Redis behaviour -------------------------------------------------------------------------------

describe('RedisRevocationStore against a real redis-server', () => {
  it('a revoke on one replica is seen by another, and lands in Redis under the prefix with the ttl', async (t) => {
    const server = await startRedis(t);
    if (server === undefined) return;
    const a = await ready(t, server.url);
    const b = await ready(t, server.url);
    const other = await ready(t, server.url, { keyPrefix: 'other:' });
    const at = Date.now();
    await a.revoke('sid', 's-1', at, 3_600);
    assert.equal(a.isRevoked('s-1', 'alice', at - 1), true, 'the revoking replica knows at once');
    await eventually('peer sees the revocation', () => b.isRevoked('s-1', 'alice', at - 1));
    const admin = adminClient(t, server.url);
    assert.equal(await admin.get('keygate:revoked:sid:s-1'), String(at));
    const pttl = await admin.pttl('keygate:revoked:sid:s-1');
    assert.ok(pttl > 3_590_000 && pttl <= 3_600_000, `PTTL ${pttl}`);
    assert.equal(other.isRevoked('s-1', 'alice', at - 1), false, 'another key prefix is another namespace');
  });

  it('revocations expire with their ttl, in the mirrors and in Redis', async (t) => {
    const server = await startRedis(t);
    if (server === undefined) return;
    const a = await ready(t, server.url);
    const b = await ready(t, server.url);
    const at = Date.now();
    await a.revoke('sub', 'alice', at, 0.3);
    await eventually('peer sees the revocation', () => b.isRevoked(undefined, 'alice', at));
    await sleep(Math.max(0, at + 400 - Date.now()));
    assert.equal(a.isRevoked(undefined, 'alice', at), false);
    assert.equal(b.isRevoked(undefined, 'alice', at), false);
    assert.equal(await adminClient(t, server.url).exists('keygate:revoked:sub:alice'), 0);
    assert.equal((await ready(t, server.url)).isRevoked(undefined, 'alice', at), false);
  });

  it('a store started after revocations loads them, skipping malformed keys with one warning', async (t) => {
    const server = await startRedis(t);
    if (server === undefined) return;
    const at = Date.now();
    await (await ready(t, server.url)).revoke('sub', 'frank', at, 600);
    const admin = adminClient(t, server.url);
    await admin.set('keygate:revoked:sid:forever', String(at)); // no expiry: never expires in the mirror either
    await admin.set('keygate:revoked:sid:', '1');
    await admin.set('keygate:revoked:jti:x', '1');
    await admin.set('keygate:revoked:sub:eve', 'not-a-time');
    await admin.hset('keygate:revoked:sid:hash', 'a', '1');
    const log = recordingLog();
    const late = await ready(t, server.url, { log });
    assert.equal(late.isRevoked(undefined, 'frank', at), true);
    assert.equal(late.isRevoked(undefined, 'frank', at + 1), false, 'created after the revocation');
    assert.equal(late.isRevoked('forever', 'x', at), true);
    assert.equal(late.isRevoked(undefined, 'eve', at), false);
    const warnings = log.lines.filter((l) => l.level === 'warn');
    assert.deepEqual(warnings.map((l) => [l.msg, l.fields?.['count']]), [['revocation store: ignored malformed revocation keys in redis', 4]]);
  });

  it('healthy follows redis-server going down and back; a revocation right after the restart reaches every replica', async (t) => {
    const server = await startRedis(t);
    if (server === undefined) return;
    const a = await ready(t, server.url);
    const b = await ready(t, server.url);
    await server.stop();
    await eventually('both unhealthy after the stop', () => !a.healthy && !b.healthy);
    await server.restart();
    const c = await ready(t, server.url); // may well revoke before b has reconnected
    const at = Date.now();
    await c.revoke('sid', 'after-restart', at, 600);
    await eventually('both healthy after the restart', () => a.healthy && b.healthy, 10_000);
    await eventually('a sees it', () => a.isRevoked('after-restart', 'x', at));
    await eventually('b sees it', () => b.isRevoked('after-restart', 'x', at));
  });

  it('revoke rejects at once while Redis is down, and still holds on the replica that recorded it', async (t) => {
    const server = await startRedis(t);
    if (server === undefined) return;
    const a = await ready(t, server.url);
    await server.stop();
    await eventually('unhealthy after the stop', () => !a.healthy);
    const at = Date.now();
    const started = performance.now();
    await assert.rejects(a.revoke('sub', 'dave', at, 600), (err) => err instanceof AuthError && err.code === 'ERR_INTERNAL' && err.cause !== undefined);
    const took = performance.now() - started;
    assert.ok(took < 500, `revoke took ${took.toFixed(0)} ms to reject`);
    assert.equal(a.isRevoked(undefined, 'dave', at), true);
  });

  it('revocations made while a replica was cut off are in its mirror as soon as it is healthy again', async (t) => {
    const server = await startRedis(t);
    if (server === undefined) return;
    const proxy = await startTcpProxy(t, server.port);
    const a = await ready(t, server.url);
    const b = await ready(t, proxy.url);
    await proxy.cut();
    await eventually('b unhealthy once cut off', () => !b.healthy);
    assert.equal(a.healthy, true);
    const at = Date.now();
    await a.revoke('sid', 'while-cut', at, 600); // published while b is not listening
    await adminClient(t, server.url).set('keygate:revoked:sub:carol', String(at), 'PX', 600_000); // never published at all
    assert.equal(b.isRevoked('while-cut', 'x', at), false, 'b missed the message');
    await proxy.resume();
    // Checked on every loop turn, then asserted at once: the moment healthy is true, the mirror is complete.
    await eventually('b healthy again', () => b.healthy, 10_000, 0);
    assert.equal(b.isRevoked('while-cut', 'x', at), true);
    assert.equal(b.isRevoked(undefined, 'carol', at), true);
  });

  it('garbage on the channel is ignored with a warning that does not echo it', async (t) => {
    const server = await startRedis(t);
    if (server === undefined) return;
    const a = await ready(t, server.url);
    const log = recordingLog();
    const b = await ready(t, server.url, { log });
    const garbage = [
      'not json',
      'null',
      '[]',
      '{"kind":"jti","value":"g1","at":1,"ttlSeconds":60}',
      '{"kind":"sid","value":"","at":1,"ttlSeconds":60}',
      '{"kind":"sid","value":"g2","at":"1","ttlSeconds":60}',
      '{"kind":"sid","value":"g3","at":1,"ttlSeconds":-5}',
      '{"kind":"sub","value":"g4","at":1}',
    ];
    const admin = adminClient(t, server.url);
    for (const g of garbage) await admin.publish('keygate:revocations', g);
    await a.revoke('sid', 'after-garbage', Date.now(), 600);
    await eventually('b applies the valid message after the garbage', () => b.isRevoked('after-garbage', 'x', 0));
    assert.equal(b.healthy, true);
    for (const v of ['g1', 'g2', 'g3']) assert.equal(b.isRevoked(v, 'x', 0), false, v);
    assert.equal(b.isRevoked(undefined, 'g4', 0), false);
    const warnings = log.lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, garbage.length);
    for (const w of warnings) assert.equal(w.msg, 'revocation store: ignored a malformed message on the revocation channel');
    assert.doesNotMatch(JSON.stringify(log.lines), /g1|g2|g3|g4|not json/);
  });

  it('close quits both connections and leaves the store unhealthy', async (t) => {
    const server = await startRedis(t);
    if (server === undefined) return;
    const admin = adminClient(t, server.url);
    const ours = async (): Promise<number> => (String(await admin.call('CLIENT', 'LIST')).match(/name=keygate-revocations-/g) ?? []).length;
    const a = await ready(t, server.url);
    assert.equal(await ours(), 2);
    await a.close();
    assert.equal(a.healthy, false);
    await eventually('no connection left', async () => (await ours()) === 0);
    await assert.rejects(a.revoke('sid', 'late', Date.now(), 60), AuthError);
  });
});

describe('createRevocationStore', () => {
  it('without a Redis URL gives the memory store', async () => {
    const store = await createRevocationStore(undefined, { log: silentLogger });
    assert.ok(store instanceof MemoryRevocationStore);
  });

  it('with a Redis URL gives a Redis store that is already healthy', async (t) => {
    const server = await startRedis(t);
    if (server === undefined) return;
    const store = await createRevocationStore(server.url, { log: silentLogger, keyPrefix: 'kg-test:' });
    t.after(() => store.close());
    assert.ok(store instanceof RedisRevocationStore);
    assert.equal(store.healthy, true);
  });

  it('refuses a URL that is not redis:// or rediss://, without echoing it', async () => {
    await assert.rejects(createRevocationStore('http://user:hunter2@example.org', { log: silentLogger }), (err) => {
      assert.ok(err instanceof AuthError);
      assert.equal(err.code, 'ERR_CONFIG_INVALID');
      assert.equal(err.detail, 'redis URL must use redis:// or rediss://, got scheme "http:"');
      return true;
    });
  });

  it('starts unhealthy, with a warning, when Redis is unreachable', async (t) => {
    const log = recordingLog();
    const store = await createRevocationStore(`redis://127.0.0.1:${await freePort()}`, { log });
    t.after(() => store.close());
    assert.equal(store.healthy, false);
    assert.ok(log.lines.some((l) => l.level === 'warn' && l.msg.startsWith('revocation store: redis is not reachable yet')));
  });
});
