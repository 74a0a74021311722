/**
 * Keycloak lightweight access tokens (no sub, aud or roles): with introspection on, the signature, iss and exp are
 * verified first and introspection supplies the claims, cached never past the token's exp; with it off, they are
 * refused with a detail that names the Keycloak setting and KEYGATE_INTROSPECTION.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { isAuthError } from '../../src/errors.js';
import { JwksCache } from '../../src/identity/jwks.js';
import { TokenVerifier, type Introspect } from '../../src/identity/verify-token.js';

const ISSUER = 'http://idp.test/realms/demo';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };
const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const NOW = 1_000_000_000;

/** The claim set Keycloak 26.7.3 puts in a user's lightweight token (a service account's has `sub` as well). */
const lightweight = (exp: number, key = privateKey, extra: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT({ typ: 'Bearer', azp: 'lightweight', sid: 's1', scope: 'profile email', jti: 'j1', ...extra })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setIssuedAt(NOW / 1000).setExpirationTime(exp).sign(key);

function setup(introspect: Introspect | undefined, clock: { ms: number }) {
  const jwks = new JwksCache({ jwksUri: 'http://idp.test/certs', algorithms: ['RS256'], now: () => clock.ms, fetch: (async () => Response.json({ keys: [jwk] })) as typeof fetch });
  return new TokenVerifier({
    checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: [], clockToleranceSeconds: 0 },
    jwks: () => jwks, now: () => clock.ms, introspect,
  });
}

async function failure(p: Promise<unknown>): Promise<{ code: string; detail: string }> {
  try {
    await p;
    return { code: 'ok', detail: '' };
  } catch (err) {
    return isAuthError(err) ? { code: err.code, detail: err.detail ?? '' } : { code: String(err), detail: '' };
  }
}

const full = (exp: number): Record<string, unknown> => ({
  active: true, iss: ISSUER, exp, sub: 'u-1', typ: 'Bearer', azp: 'lightweight', aud: 'keygate', jti: 'j1', sid: 's1',
  preferred_username: 'service-account-lightweight', realm_access: { roles: ['engineer'] }, groups: ['/data/team-b'],
});

describe('lightweight access tokens', () => {
  it('introspection off: 401 naming the client setting and KEYGATE_INTROSPECTION', async () => {
    const v = setup(undefined, { ms: NOW });
    const got = await failure(v.verify(await lightweight(NOW / 1000 + 300)));
    assert.equal(got.code, 'ERR_TOKEN_INVALID');
    assert.match(got.detail, /lightweight access token.*client "lightweight".*client\.use\.lightweight\.access\.token\.enabled.*KEYGATE_INTROSPECTION=true/);
  });

  it('a service account\'s lightweight token (sub, but no aud or roles) is lightweight too', async () => {
    const off = await failure(setup(undefined, { ms: NOW }).verify(await lightweight(NOW / 1000 + 300, privateKey, { sub: 'u-1' })));
    assert.equal(off.code, 'ERR_TOKEN_INVALID');
    assert.match(off.detail, /no aud or roles: a Keycloak lightweight access token/);
    const on = setup(async () => full(NOW / 1000 + 300), { ms: NOW });
    assert.deepEqual((await on.verify(await lightweight(NOW / 1000 + 300, privateKey, { sub: 'u-1' }))).roles, ['engineer']);
  });

  it('a full token of a user without roles or audience (preferred_username present) is not lightweight', async () => {
    let calls = 0;
    const jwks = new JwksCache({ jwksUri: 'http://idp.test/certs', algorithms: ['RS256'], now: () => NOW, fetch: (async () => Response.json({ keys: [jwk] })) as typeof fetch });
    const v = new TokenVerifier({
      checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: ['lightweight'], clockToleranceSeconds: 0 },
      jwks: () => jwks,
      now: () => NOW, introspect: async () => { calls++; return full(NOW / 1000 + 300); },
    });
    const id = await v.verify(await lightweight(NOW / 1000 + 300, privateKey, { sub: 'u-9', preferred_username: 'dora' }));
    assert.equal(id.username, 'dora');
    assert.deepEqual(id.roles, []);
    assert.equal(calls, 0);
  });

  it('introspection on: the identity comes from introspection, cached never past exp', async () => {
    const clock = { ms: NOW };
    let calls = 0;
    const v = setup(async () => { calls++; return full(NOW / 1000 + 30); }, clock);
    const token = await lightweight(NOW / 1000 + 30);
    const id = await v.verify(token);
    assert.equal(id.sub, 'u-1');
    assert.deepEqual(id.roles, ['engineer']);
    assert.deepEqual(id.groups, ['/data/team-b']);
    await v.verify(token);
    assert.equal(calls, 1, 'cached');
    clock.ms = NOW + 30_000;
    assert.equal((await failure(v.verify(token))).code, 'ERR_TOKEN_EXPIRED', 'at exp the cache is gone and the JWT itself has expired');
  });

  it('the signed exp bounds what introspection says', async () => {
    const clock = { ms: NOW };
    let calls = 0;
    const v = setup(async () => { calls++; return full(NOW / 1000 + 3600); }, clock);
    const token = await lightweight(NOW / 1000 + 20);
    await v.verify(token);
    clock.ms = NOW + 20_000;
    assert.equal(v.peek(token), undefined);
    assert.equal(calls, 1);
  });

  const refused: Array<{ name: string; answer: Record<string, unknown>; want: string }> = [
    { name: 'inactive', answer: { active: false }, want: 'ERR_TOKEN_INVALID' },
    { name: 'another issuer', answer: { ...full(NOW / 1000 + 300), iss: 'http://evil/realms/x' }, want: 'ERR_TOKEN_INVALID' },
    { name: 'another token (jti)', answer: { ...full(NOW / 1000 + 300), jti: 'j2' }, want: 'ERR_TOKEN_INVALID' },
    { name: 'no accepted audience', answer: { ...full(NOW / 1000 + 300), aud: 'account' }, want: 'ERR_TOKEN_INVALID' },
    { name: 'still no sub', answer: { ...full(NOW / 1000 + 300), sub: undefined }, want: 'ERR_TOKEN_INVALID' },
  ];
  for (const c of refused) {
    it(`refused when introspection says: ${c.name}`, async () => {
      const v = setup(async () => c.answer, { ms: NOW });
      assert.equal((await failure(v.verify(await lightweight(NOW / 1000 + 300)))).code, c.want);
    });
  }

  it('a lightweight token with a bad signature is never introspected', async () => {
    let calls = 0;
    const v = setup(async () => { calls++; return full(NOW / 1000 + 300); }, { ms: NOW });
    assert.equal((await failure(v.verify(await lightweight(NOW / 1000 + 300, other)))).code, 'ERR_TOKEN_INVALID');
    assert.equal(calls, 0);
  });

  it('introspection unreachable: 503, not 401', async () => {
    const v = setup(async () => { throw new TypeError('fetch failed'); }, { ms: NOW });
    assert.equal((await failure(v.verify(await lightweight(NOW / 1000 + 300)))).code, 'ERR_IDP_UNAVAILABLE');
  });
});
