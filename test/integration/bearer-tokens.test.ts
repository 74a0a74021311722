import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { sample, startKeygate, type TestKeygate } from '../support/keygate.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';

let idp: KeycloakLookalike;
let kg: TestKeygate;
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, APP_POLICY);
});
after(async () => {
  await kg.close();
  await idp.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('allowed tokens', () => {
  it('a user token with the role gets 200 and every identity header', async () => {
    const token = await idp.mintAccessToken({}, { user: 'alice' });
    const res = await kg.auth('GET', APP_HOST, '/api/flows?limit=10', bearer(token));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-auth-user'), 'alice');
    assert.equal(res.headers.get('x-auth-subject'), idp.subjectOf('alice'));
    assert.equal(res.headers.get('x-auth-email'), 'alice@example.com');
    assert.match(res.headers.get('x-auth-roles') ?? '', /(^|,)viewer(,|$)/);
    assert.equal(res.headers.get('x-auth-groups'), '/data/team-a');
    assert.equal(res.headers.get('x-auth-name') !== null, true);
  });
  it('a real service-account token from client_credentials is allowed by its role', async () => {
    const token = await idp.clientCredentialsToken('ci-runner', 'ci-runner-secret');
    const res = await kg.auth('POST', APP_HOST, '/api/flows/abc/runs', bearer(token));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-auth-user'), 'service-account-ci-runner');
  });
  it('a group grants access through a condition block in a list', async () => {
    const token = await idp.mintAccessToken({}, { user: 'carol' });
    assert.equal((await kg.auth('GET', APP_HOST, '/api/flows', bearer(token))).status, 200);
  });
  it('public rules need no token, and still send every identity header, empty', async () => {
    const res = await kg.auth('GET', APP_HOST, '/api/health');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-auth-user'), '');
    assert.equal(res.headers.get('x-auth-roles'), '');
  });
});

describe('denied tokens', () => {
  it('a token without the role gets 403 naming the rule', async () => {
    const token = await idp.mintAccessToken({}, { user: 'alice' });
    const res = await kg.auth('POST', APP_HOST, '/api/flows/abc/runs', bearer(token));
    assert.equal(res.status, 403);
    const body = await res.json() as Record<string, string>;
    assert.equal(body['rule'], 'flows-write');
    assert.ok(!JSON.stringify(body).includes(token.slice(0, 20)), 'the 403 body must not carry token contents');
  });
  it('no token gets 401 with WWW-Authenticate', async () => {
    const res = await kg.auth('GET', APP_HOST, '/api/flows', { accept: 'application/json' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="keygate"');
    assert.deepEqual(await res.json(), { error: 'unauthorized', error_description: 'authentication required' });
  });
  it('a host no rule names falls to the default deny', async () => {
    const token = await idp.mintAccessToken({}, { user: 'carol' });
    assert.equal((await kg.auth('GET', 'other.example.com', '/api/flows', bearer(token))).status, 403);
  });
});

function tamper(token: string): string {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>;
  claims['realm_access'] = { roles: ['engineer', 'admin'] };
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
}

const invalid: Array<{ name: string; token: () => Promise<string> }> = [
  { name: 'expired', token: () => idp.mintAccessToken({ iat: now() - 7200, exp: now() - 3600 }, { user: 'bob' }) },
  { name: 'nbf in the future', token: () => idp.mintAccessToken({ nbf: now() + 3600 }, { user: 'bob' }) },
  { name: 'wrong iss', token: () => idp.mintAccessToken({ iss: 'http://127.0.0.1:1/realms/evil' }, { user: 'bob' }) },
  { name: 'wrong aud and azp', token: () => idp.mintAccessToken({ aud: 'other-api', azp: 'other-client' }, { user: 'bob' }) },
  { name: 'alg none', token: () => idp.mintAccessToken({}, { user: 'bob', alg: 'none' }) },
  {
    name: 'HS256 signed with the RSA public key',
    token: () => {
      const jwk = idp.publicJwks().keys.find((k) => k.use === 'sig');
      const pem = createPublicKey({ key: { ...jwk } as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      return idp.mintAccessToken({}, { user: 'bob', alg: 'HS256', key: new Uint8Array(Buffer.from(pem)), kid: jwk?.kid ?? null });
    },
  },
  { name: 'tampered payload', token: async () => tamper(await idp.mintAccessToken({}, { user: 'bob' })) },
  {
    name: 'unknown kid (signed by a foreign key)',
    token: () => idp.mintAccessToken({}, { user: 'bob', key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, kid: 'not-a-realm-key' }),
  },
  { name: 'an ID token presented as bearer', token: () => idp.mintAccessToken({ typ: 'ID', aud: 'keygate' }, { user: 'bob' }) },
  { name: 'a refresh token presented as bearer', token: () => idp.mintAccessToken({ typ: 'Refresh', aud: idp.issuer }, { user: 'bob' }) },
  { name: 'not a JWT at all', token: async () => 'this-is-not-a-jwt' },
  { name: 'a JWT whose segments are not JSON', token: async () => 'eyJub3Q.anNvbg.c2ln' },
];

describe('invalid tokens get 401 with error="invalid_token"', () => {
  for (const c of invalid) {
    it(c.name, async () => {
      const res = await kg.auth('GET', APP_HOST, '/api/flows', bearer(await c.token()));
      assert.equal(res.status, 401, `${c.name}: expected 401`);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="keygate", error="invalid_token"/);
      const body = await res.json() as Record<string, string>;
      assert.equal(body['error'], 'invalid_token');
    });
  }
  it('a malformed Authorization header (Bearer with no token) is 401 invalid_token too', async () => {
    const res = await kg.auth('GET', APP_HOST, '/api/flows', { authorization: 'Bearer ' });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
  });
  it('each failure is counted in keygate_token_verifications_total and audited without the token', async () => {
    const text = await kg.metrics();
    assert.ok(sample(text, 'keygate_token_verifications_total', { result: 'invalid' }) >= 8);
    assert.ok(sample(text, 'keygate_token_verifications_total', { result: 'expired' }) >= 1);
    const lines = JSON.stringify(kg.logs());
    assert.ok(!lines.includes('eyJ'), 'no token (nor any JWT segment) may appear in the logs');
  });
});

describe('key rotation', () => {
  it('after a rotation, a token with the new kid is accepted after one JWKS refetch', async () => {
    const before = sample(await kg.metrics(), 'keygate_jwks_refreshes_total', { result: 'success' });
    await idp.rotateKeys();
    const token = await idp.mintAccessToken({}, { user: 'alice' });
    assert.equal((await kg.auth('GET', APP_HOST, '/api/flows', bearer(token))).status, 200);
    const afterRotation = sample(await kg.metrics(), 'keygate_jwks_refreshes_total', { result: 'success' });
    assert.equal(afterRotation - before, 1, 'exactly one refetch');
    assert.equal((await kg.auth('GET', APP_HOST, '/api/flows', bearer(await idp.mintAccessToken({ jti: 'other' }, { user: 'alice' })))).status, 200);
    assert.equal(sample(await kg.metrics(), 'keygate_jwks_refreshes_total', { result: 'success' }), afterRotation, 'no refetch for a known kid');
  });
});

describe('passAccessToken', () => {
  it('echoes the verified bearer token back as Authorization, so the upstream (Temporal, Argo) can check it too', async () => {
    const withPass = await startKeygate(idp.issuer, APP_POLICY, { env: { KEYGATE_PASS_ACCESS_TOKEN: 'true' } });
    try {
      const token = await idp.mintAccessToken({}, { user: 'alice' });
      const res = await withPass.auth('GET', APP_HOST, '/api/flows', bearer(token));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('authorization'), `Bearer ${token}`);
      assert.equal((await kg.auth('GET', APP_HOST, '/api/flows', bearer(token))).headers.get('authorization'), null, 'off by default');
    } finally {
      await withPass.close();
    }
  });
});
