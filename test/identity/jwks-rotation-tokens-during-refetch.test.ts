/**
 * Found by the soak run (issue #12 point 9): right after a key rotation, the first token with the new kid starts a
 * JWKS refetch; tokens with the same kid that arrive while that fetch is in flight waited for it and then, because it
 * had started before they arrived, for the next allowed refetch, which lies a cooldown away: 503. The fetch they
 * waited for had brought the key, so they must be verified with it: a key the cache now holds needs no fresher fetch.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { JwksCache } from '../../src/identity/jwks.js';

function jwk(kid: string): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}

describe('tokens with a new kid that arrive while the refetch it triggered is in flight', () => {
  it('are verified with the key that fetch brought, not answered 503 for a cooldown', async () => {
    const oldKey = jwk('old');
    const newKey = jwk('new');
    let keys = [oldKey];
    let release: (() => void) | undefined;
    let hold = false;
    const fetch = (async () => {
      const body = JSON.stringify({ keys });
      if (hold) await new Promise<void>((r) => { release = r; });
      return new Response(body, { headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    const cache = new JwksCache({ jwksUri: 'http://127.0.0.1/certs', algorithms: ['RS256'], fetch, now: Date.now, cooldownMs: 200, maxWaitMs: 10 });
    assert.equal(await cache.refresh(), true);
    // The rotation: the JWKS now holds the new key; the next fetch is held open until the second token has arrived.
    keys = [newKey, oldKey];
    hold = true;
    await new Promise((r) => setTimeout(r, 250)); // the cooldown since the last fetch has passed: the first token refetches at once
    const first = cache.verificationKey({ alg: 'RS256', kid: 'new' });
    await new Promise((r) => setTimeout(r, 20));
    const second = cache.verificationKey({ alg: 'RS256', kid: 'new' });
    await new Promise((r) => setTimeout(r, 20));
    release?.(); // the next allowed refetch is ~150 ms away, beyond the 10 ms wait bound

    const results = await Promise.allSettled([first, second]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled'], JSON.stringify(results.map((r) => (r.status === 'rejected' ? String((r.reason as { detail?: string }).detail) : 'ok'))));
  });
});
