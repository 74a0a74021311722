/**
 * Issue 17 point 2: only real IdP trouble is a 503. A bug while verifying a token (an unexpected exception, not an
 * AuthError) was translated to ERR_IDP_UNAVAILABLE; it is ERR_INTERNAL (500) now, with the exception kept as cause.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { AuthError, isAuthError } from '../../src/errors.js';
import type { JwksCache } from '../../src/identity/jwks.js';
import { TokenVerifier } from '../../src/identity/verify-token.js';

const ISSUER = 'http://idp.test/realms/demo';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A verifier whose key lookup fails with `err` (a JwksCache stand-in: only the two members the verifier reads). */
function verifierFailingWith(err: unknown): TokenVerifier {
  const jwks = { removals: 0, verificationKey: async () => { throw err; } } as unknown as JwksCache;
  return new TokenVerifier({
    checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: [], clockToleranceSeconds: 0 },
    jwks: () => jwks,
    now: () => Date.now(),
  });
}

const token = (): Promise<string> => new SignJWT({ typ: 'Bearer', aud: 'keygate' })
  .setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setSubject('s').setIssuedAt().setExpirationTime('5m').sign(privateKey);

async function rejection(v: TokenVerifier): Promise<AuthError> {
  const err = await v.verify(await token()).then(() => undefined, (e: unknown) => e);
  assert.ok(isAuthError(err), `rejected with an AuthError, got ${String(err)}`);
  return err;
}

describe('verification errors keep their meaning', () => {
  const cases: Array<{ name: string; thrown: unknown; want: { code: string; status: number } }> = [
    { name: 'a bug (TypeError) is ERR_INTERNAL, 500', thrown: new TypeError('cannot read properties of undefined'), want: { code: 'ERR_INTERNAL', status: 500 } },
    { name: 'a thrown non-Error is ERR_INTERNAL, 500', thrown: 'boom', want: { code: 'ERR_INTERNAL', status: 500 } },
    { name: 'an unreachable IdP stays ERR_IDP_UNAVAILABLE, 503', thrown: new AuthError('ERR_IDP_UNAVAILABLE', { detail: 'JWKS could not be fetched' }), want: { code: 'ERR_IDP_UNAVAILABLE', status: 503 } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const err = await rejection(verifierFailingWith(c.thrown));
      assert.deepEqual({ code: err.code, status: err.status }, c.want);
      if (c.want.code === 'ERR_INTERNAL') assert.equal(err.cause, c.thrown, 'the lower-layer error is kept as cause');
    });
  }
});
