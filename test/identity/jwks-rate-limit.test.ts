import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { isAuthError } from '../../src/errors.js';
import { JwksCache } from '../../src/identity/jwks.js';

const jwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };

function harness(answer: () => Response | Promise<Response>, over: { maxWaiters?: number } = {}) {
  let clock = 1_000_000;
  let fetches = 0;
  let sleeps = 0;
  const cache = new JwksCache({
    jwksUri: 'http://idp.test/certs',
    algorithms: ['RS256'],
    now: () => clock,
    cooldownMs: 10_000,
    maxWaitMs: 5_000,
    ...over,
    // The fake clock moves when a waiter sleeps: the wait for the next allowed refetch takes no real time.
    sleep: async (ms) => {
      sleeps++;
      await new Promise((r) => setImmediate(r));
      clock += ms;
    },
    fetch: (async () => {
      fetches++;
      return answer();
    }) as typeof fetch,
  });
  return { cache, tick: (ms: number) => { clock += ms; }, fetches: () => fetches, sleeps: () => sleeps };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isAuthError(err) ? err.code : String(err);
  }
}

describe('JWKS refetch on unknown kid', () => {
  it('refetches at most once per cooldown, however many unknown kids arrive', async () => {
    const h = harness(() => Response.json({ keys: [jwk] }));
    assert.equal(await h.cache.refresh(), true);
    h.tick(20_000);
    const kids = (p: string, n: number) => Promise.all(Array.from({ length: n }, (_, i) => code(h.cache.resolve({ alg: 'RS256', kid: `${p}${i}` }))));
    assert.deepEqual(new Set(await kids('x', 20)), new Set(['ERR_TOKEN_INVALID']), 'one refetch after they arrived, shared, lacks them all');
    assert.equal(h.fetches(), 2, 'initial fetch + one refetch');
    assert.deepEqual(new Set(await kids('y', 20)), new Set(['ERR_IDP_UNAVAILABLE']), 'the next refetch is 10 s away, beyond the 5 s wait: 503, never 401');
    assert.equal(h.fetches(), 2);
    h.tick(6_000);
    assert.deepEqual(new Set(await kids('z', 20)), new Set(['ERR_TOKEN_INVALID']), '4 s before the next refetch: they wait for it, then 401');
    assert.equal(h.fetches(), 3, 'one more after the cooldown, shared by the 20 waiters');
    assert.equal(h.sleeps(), 1, 'one timer for all waiters');
  });
  it('waiters beyond the cap get 503 at once', async () => {
    const h = harness(() => Response.json({ keys: [jwk] }), { maxWaiters: 3 });
    await h.cache.refresh();
    h.tick(9_000);
    const got = await Promise.all(Array.from({ length: 10 }, (_, i) => code(h.cache.resolve({ alg: 'RS256', kid: `w${i}` }))));
    assert.equal(got.filter((c) => c === 'ERR_TOKEN_INVALID').length, 3);
    assert.equal(got.filter((c) => c === 'ERR_IDP_UNAVAILABLE').length, 7);
    assert.equal(h.fetches(), 2);
  });
  it('a kid that a refetch dropped gets 401 at once during the cooldown (clients then fetch a new token), and is forgotten once published again', async () => {
    const k2 = { ...jwk, kid: 'k2' };
    let keys = [jwk, k2];
    const h = harness(() => Response.json({ keys }));
    await h.cache.refresh();
    keys = [k2];
    h.tick(20_000);
    await h.cache.refresh();
    assert.equal(h.cache.removals, 1);
    assert.equal(await code(h.cache.resolve({ alg: 'RS256', kid: 'k1' })), 'ERR_TOKEN_INVALID');
    assert.equal(await code(h.cache.resolve({ alg: 'RS256', kid: 'never-seen' })), 'ERR_IDP_UNAVAILABLE', 'an unknown kid may be new: 503');
    keys = [jwk, k2];
    h.tick(20_000);
    assert.equal(await code(h.cache.resolve({ alg: 'RS256', kid: 'k1' })), 'resolved', 'published again');
  });
  it('a disallowed alg never triggers a refetch', async () => {
    const h = harness(() => Response.json({ keys: [jwk] }));
    await h.cache.refresh();
    h.tick(60_000);
    assert.equal(await code(h.cache.resolve({ alg: 'HS256', kid: 'k1' })), 'ERR_TOKEN_INVALID');
    assert.equal(h.fetches(), 1);
  });
  it('a known kid resolves without fetching, even when the IdP is down', async () => {
    let up = true;
    const h = harness(() => (up ? Response.json({ keys: [jwk] }) : Promise.reject(new TypeError('fetch failed'))));
    await h.cache.refresh();
    up = false;
    h.tick(60_000);
    assert.equal(await code(h.cache.resolve({ alg: 'RS256', kid: 'k1' })), 'resolved');
    assert.equal(await code(h.cache.resolve({ alg: 'RS256', kid: 'new' })), 'ERR_IDP_UNAVAILABLE', 'cannot tell an unknown kid from a new key while down');
  });
  it('cold cache and IdP down: unavailable, retried at most once a second', async () => {
    const h = harness(() => Promise.reject(new TypeError('fetch failed')));
    assert.equal(await code(h.cache.resolve({ alg: 'RS256', kid: 'k1' })), 'ERR_IDP_UNAVAILABLE');
    assert.equal(await code(h.cache.resolve({ alg: 'RS256', kid: 'k1' })), 'ERR_IDP_UNAVAILABLE');
    assert.equal(h.fetches(), 1);
    h.tick(1000);
    await code(h.cache.resolve({ alg: 'RS256', kid: 'k1' }));
    assert.equal(h.fetches(), 2);
  });
  it('a key published for another alg is refused', async () => {
    const h = harness(() => Response.json({ keys: [{ ...jwk, alg: 'PS256' }] }));
    await h.cache.refresh();
    assert.equal(await code(h.cache.resolve({ alg: 'RS256', kid: 'k1' })), 'ERR_TOKEN_INVALID');
  });
});
