/**
 * The verifier's fast lane (tokens seen more than once, held whole, issue #5) answers exactly what the hashed
 * cache would: never past a token's exp, never for a revoked session, never after forget(), and a token pushed
 * out of it is still answered from the hashed cache. A peek() that hits the hashed cache moves the token in.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { isAuthError } from '../../src/errors.js';
import { JwksCache } from '../../src/identity/jwks.js';
import { TokenVerifier } from '../../src/identity/verify-token.js';

const ISSUER = 'http://idp.test/realms/demo';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };

function setup(revoked: Set<string>, clock: { ms: number }): TokenVerifier {
  const jwks = new JwksCache({ jwksUri: 'http://idp.test/certs', algorithms: ['RS256'], now: () => clock.ms, fetch: (async () => Response.json({ keys: [jwk] })) as typeof fetch });
  return new TokenVerifier({
    checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: [], clockToleranceSeconds: 0 },
    jwks: () => jwks,
    now: () => clock.ms,
    isRevoked: (sid) => revoked.has(sid),
  });
}

function mint(user: string, expSeconds: number, sid = `sid-${user}`): Promise<string> {
  return new SignJWT({ typ: 'Bearer', aud: 'keygate', preferred_username: user, sid, realm_access: { roles: ['viewer'] } })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setSubject(`sub-${user}`).setIssuedAt(900).setExpirationTime(expSeconds).sign(privateKey);
}

describe('TokenVerifier fast lane', () => {
  it('never answers at or past the token exp', async () => {
    const clock = { ms: 1_000_000 };
    const v = setup(new Set(), clock);
    const t = await mint('alice', 1_100);
    assert.equal((await v.verify(t)).username, 'alice');
    clock.ms = 1_099_999;
    assert.equal(v.peek(t)?.username, 'alice');
    clock.ms = 1_100_000;
    assert.equal(v.peek(t), undefined);
    await assert.rejects(v.verify(t), (e: unknown) => isAuthError(e) && e.code === 'ERR_TOKEN_EXPIRED');
  });

  it('never answers for a revoked session, and forget() empties it', async () => {
    const clock = { ms: 1_000_000 };
    const revoked = new Set<string>();
    const v = setup(revoked, clock);
    const a = await mint('alice', 2_000);
    const b = await mint('bob', 2_000);
    await v.verify(a);
    await v.verify(b);
    assert.equal(v.peek(a)?.username, 'alice', 'seen twice: now in the fast lane');
    revoked.add('sid-alice');
    assert.equal(v.peek(a), undefined);
    await assert.rejects(v.verify(a), (e: unknown) => isAuthError(e) && e.code === 'ERR_TOKEN_INVALID' && /logged out/.test(e.detail ?? ''));
    assert.equal(v.peek(b)?.username, 'bob');
    v.forget((id) => id.username === 'bob');
    assert.equal(v.peek(b), undefined, 'forgotten in both caches');
  });

  it('a token pushed out by 2,048 newer ones is still answered from the hashed cache', async () => {
    const clock = { ms: 1_000_000 };
    const v = setup(new Set(), clock);
    const first = await mint('first', 2_000);
    await v.verify(first);
    // Newer entries for the fast lane: verified tokens only get there, so verify 2,048 distinct ones.
    for (let i = 0; i < 2_048; i++) await v.verify(await mint(`u${i}`, 2_000));
    assert.equal(v.peek(first)?.username, 'first');
  });
});
