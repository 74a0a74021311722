/** Pins identity sharing in TokenVerifier: tokens with equal identities share one object, and each token keeps its own expiry (issue #5). */
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

function verifier(clock: { now: number }): TokenVerifier {
  const jwks = new JwksCache({ jwksUri: 'http://idp.test/certs', algorithms: ['RS256'], now: () => clock.now, fetch: (async () => Response.json({ keys: [jwk] })) as typeof fetch });
  return new TokenVerifier({
    checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: [], clockToleranceSeconds: 0 },
    jwks: () => jwks,
    now: () => clock.now,
  });
}

function token(claims: Record<string, unknown>, expSeconds: number): Promise<string> {
  return new SignJWT({ typ: 'Bearer', aud: 'keygate', preferred_username: 'alice', realm_access: { roles: ['viewer'] }, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setSubject('sub-alice')
    .setIssuedAt(1_000)
    .setExpirationTime(expSeconds)
    .sign(privateKey);
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isAuthError(err) ? err.code : String(err);
  }
}

describe('TokenVerifier identity sharing', () => {
  it('gives tokens with equal identities one Identity object, and a different identity its own', async () => {
    const clock = { now: 1_000_000 };
    const v = verifier(clock);
    const a = await v.verify(await token({}, 2_000));
    const b = await v.verify(await token({}, 3_000));
    const c = await v.verify(await token({ realm_access: { roles: ['viewer', 'admin'] } }, 3_000));
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.deepEqual(c.roles, ['viewer', 'admin']);
    assert.deepEqual(a.roles, ['viewer']);
  });

  it('keeps each token to its own exp, whatever identity it shares', async () => {
    const clock = { now: 1_000_000 };
    const v = verifier(clock);
    const early = await token({}, 1_500);
    const late = await token({}, 3_000);
    assert.equal(await code(v.verify(early)), 'ok');
    assert.equal(await code(v.verify(late)), 'ok');
    clock.now = 1_600_000;
    assert.equal(await code(v.verify(early)), 'ERR_TOKEN_EXPIRED');
    assert.equal(await code(v.verify(late)), 'ok');
  });
});
