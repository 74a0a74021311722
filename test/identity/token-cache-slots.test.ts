/**
 * TokenCache finds entries by a credential's tail and confirms them on the whole credential (issue #5): a forged
 * token that reuses a cached token's signature is never answered from the cache, through peek() or verify().
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { isAuthError } from '../../src/errors.js';
import { JwksCache } from '../../src/identity/jwks.js';
import { TokenCache, slotOf } from '../../src/identity/token-cache.js';
import { TokenVerifier } from '../../src/identity/verify-token.js';

const ISSUER = 'http://idp.test/realms/demo';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };

describe('TokenCache', () => {
  it('answers only the exact credential; one sharing its tail is a miss and leaves the entry alone', () => {
    const c = new TokenCache<string>(10);
    const tail = 'S'.repeat(64);
    c.set(`aaaa.bbbb.${tail}`, 'alice', 2_000);
    assert.equal(c.get(`aaaa.bbbb.${tail}`, 1_000), 'alice');
    assert.equal(c.get(`aaaa.XXXX.${tail}`, 1_000), undefined);
    assert.equal(c.get(`aaaa.bbbb.${tail}`, 1_000), 'alice', 'the miss did not evict it');
    assert.equal(c.get(`aaaa.bbbb.${tail}`, 2_000), undefined, 'never at or past its expiry');
  });

  it('keys short credentials by the whole value', () => {
    const c = new TokenCache<number>(10);
    c.set('short', 1, 10);
    assert.equal(slotOf('short'), 'short');
    assert.equal(c.get('short', 0), 1);
    assert.equal(c.get('shorter', 0), undefined);
  });
});

describe('TokenVerifier with a forged token reusing a cached signature', () => {
  it('verifies the forged token itself (401) instead of answering it from the cache', async () => {
    const jwks = new JwksCache({ jwksUri: 'http://idp.test/certs', algorithms: ['RS256'], now: () => 1_000_000, fetch: (async () => Response.json({ keys: [jwk] })) as typeof fetch });
    const v = new TokenVerifier({
      checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: [], clockToleranceSeconds: 0 },
      jwks: () => jwks,
      now: () => 1_000_000,
    });
    const real = await new SignJWT({ typ: 'Bearer', aud: 'keygate', preferred_username: 'alice', realm_access: { roles: ['viewer'] } })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setSubject('sub-alice').setIssuedAt(900).setExpirationTime(2_000).sign(privateKey);
    assert.deepEqual((await v.verify(real)).roles, ['viewer']);
    assert.deepEqual(v.peek(real)?.roles, ['viewer'], 'the real token is cached');
    const [h, p, sig] = real.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, realm_access: { roles: ['viewer', 'admin'] } })).toString('base64url')}.${sig}`;
    assert.equal(forged.slice(-64), real.slice(-64), 'same signature as the cached token');
    assert.equal(v.peek(forged), undefined);
    await assert.rejects(v.verify(forged), (err: unknown) => isAuthError(err) && err.code === 'ERR_TOKEN_INVALID');
    assert.deepEqual(v.peek(real)?.roles, ['viewer'], 'the real token is still cached');
  });
});
