/**
 * A token verified under a key that a later JWKS refresh no longer lists (Keycloak: provider disabled or deleted)
 * is refused from then on: the verifier's caches (hashed and fast lane) drop what they verified before.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { isAuthError } from '../../src/errors.js';
import { JwksCache } from '../../src/identity/jwks.js';
import { TokenVerifier } from '../../src/identity/verify-token.js';

const ISSUER = 'http://idp.test/realms/demo';
const pair = (kid: string) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } };
};
const k1 = pair('k1');
const k2 = pair('k2');

const mint = (k: typeof k1, user: string): Promise<string> =>
  new SignJWT({ typ: 'Bearer', aud: 'keygate', preferred_username: user, realm_access: { roles: ['viewer'] } })
    .setProtectedHeader({ alg: 'RS256', kid: k.kid }).setIssuer(ISSUER).setSubject(`sub-${user}`).setIssuedAt().setExpirationTime('5m').sign(k.privateKey);

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isAuthError(err) ? err.code : String(err);
  }
}

describe('verified tokens never outlive their key', () => {
  it('a refresh that drops k1 drops the cached verifications, fast lane included; k2 tokens stay cached', async () => {
    let published = [k1.jwk, k2.jwk];
    const jwks = new JwksCache({ jwksUri: 'http://idp.test/certs', algorithms: ['RS256'], now: Date.now, cooldownMs: 0, fetch: (async () => Response.json({ keys: published })) as typeof fetch });
    const v = new TokenVerifier({ checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: [], clockToleranceSeconds: 0 }, jwks: () => jwks, now: Date.now });
    await jwks.refresh();
    const old = await mint(k1, 'alice');
    const fresh = await mint(k2, 'bob');
    for (const t of [old, old, old, fresh, fresh]) assert.equal(await outcome(v.verify(t)), 'ok');
    assert.equal(v.peek(old)?.username, 'alice', 'held in the fast lane');
    assert.equal(jwks.removals, 0);

    published = [k2.jwk];
    await jwks.refresh();
    assert.equal(jwks.removals, 1);
    assert.equal(v.peek(old), undefined, 'the fast lane forgot it');
    assert.equal(await outcome(v.verify(old)), 'ERR_TOKEN_INVALID', 'the key is gone: the token is refused');
    assert.equal(await outcome(v.verify(fresh)), 'ok');
    assert.equal(v.peek(fresh)?.username, 'bob', 'verified again and cached again');
  });

  it('a refresh that only adds keys keeps the caches', async () => {
    let published = [k1.jwk];
    const jwks = new JwksCache({ jwksUri: 'http://idp.test/certs', algorithms: ['RS256'], now: Date.now, fetch: (async () => Response.json({ keys: published })) as typeof fetch });
    const v = new TokenVerifier({ checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: [], clockToleranceSeconds: 0 }, jwks: () => jwks, now: Date.now });
    await jwks.refresh();
    const t = await mint(k1, 'alice');
    await v.verify(t);
    published = [k2.jwk, k1.jwk];
    await jwks.refresh();
    assert.equal(jwks.removals, 0);
    assert.equal(v.peek(t)?.username, 'alice');
  });
});
