import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { KeycloakLookalike } from '../../dev/idp/index.js';
import { CI_RUNNER, KEYGATE_CLIENT, startTestIdp } from '../support/idp.js';
import { basic } from './helpers.js';

let idp: KeycloakLookalike;

before(async () => {
  // keygate introspects: Keycloak 26.6.2+ answers only clients in the token's aud (the audience mapper's `keygate`).
  idp = await startTestIdp({ audience: ['keygate'] });
});
after(async () => {
  await idp.close();
});

async function introspect(
  token: string, auth: { authorization?: string; form?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${idp.issuer}/protocol/openid-connect/token/introspect`, {
    method: 'POST',
    headers: auth.authorization === undefined ? {} : { authorization: auth.authorization },
    body: new URLSearchParams({ token, ...auth.form }),
  });
  const body: unknown = await response.json();
  assert.ok(typeof body === 'object' && body !== null);
  return { status: response.status, body: Object.fromEntries(Object.entries(body)) };
}

const keygateBasic = { authorization: basic(KEYGATE_CLIENT.clientId, KEYGATE_CLIENT.secret) };

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims: unknown = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
  assert.ok(typeof claims === 'object' && claims !== null);
  const changed = { ...claims, realm_access: { roles: ['admin'] } };
  return `${header}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${signature}`;
}

describe('token introspection (RFC 7662) of JWT access tokens', () => {
  it('a valid token is active and carries its claims', async () => {
    const token = await idp.clientCredentialsToken(CI_RUNNER.clientId, CI_RUNNER.secret);
    const { status, body } = await introspect(token, keygateBasic);
    assert.equal(status, 200);
    assert.equal(body.active, true);
    assert.equal(body.iss, idp.issuer);
    assert.equal(body.typ, 'Bearer');
    assert.equal(body.client_id, 'ci-runner');
    assert.equal(body.username, 'service-account-ci-runner');
    assert.deepEqual(body.realm_access, { roles: ['engineer'] });
  });

  it('client_secret_post authenticates the caller too', async () => {
    const token = await idp.mintAccessToken({}, { user: 'alice' });
    const { body } = await introspect(token, { form: { client_id: KEYGATE_CLIENT.clientId, client_secret: KEYGATE_CLIENT.secret } });
    assert.equal(body.active, true);
    assert.equal(body.preferred_username, 'alice');
  });

  it('a token whose aud lacks the introspecting client is inactive, as Keycloak 26.6.2+ answers (CVE-2026-37979)', async () => {
    const token = await idp.mintAccessToken({ aud: 'account' }, { user: 'alice' });
    assert.deepEqual((await introspect(token, keygateBasic)).body, { active: false });
    const theirs = await idp.clientCredentialsToken(CI_RUNNER.clientId, CI_RUNNER.secret);
    assert.deepEqual((await introspect(theirs, { authorization: basic(CI_RUNNER.clientId, CI_RUNNER.secret) })).body, { active: false }, 'ci-runner is not in its own token\'s aud');
  });

  const inactive = [
    { name: 'a tampered payload', token: async () => tamper(await idp.mintAccessToken({}, { user: 'bob' })) },
    { name: 'an expired token', token: () => idp.mintAccessToken({ exp: Math.floor(Date.now() / 1000) - 60 }, { user: 'bob' }) },
    { name: 'another issuer', token: () => idp.mintAccessToken({ iss: 'http://127.0.0.1:1/realms/demo' }, { user: 'bob' }) },
    { name: 'not a JWT', token: async () => 'opaque-garbage' },
  ];
  for (const c of inactive) {
    it(`${c.name} is { active: false } and nothing else`, async () => {
      const { status, body } = await introspect(await c.token(), keygateBasic);
      assert.equal(status, 200);
      assert.deepEqual(body, { active: false });
    });
  }

  it('an unauthenticated caller gets 401 invalid_client', async () => {
    const token = await idp.mintAccessToken({}, { user: 'alice' });
    const none = await introspect(token);
    const wrong = await introspect(token, { authorization: basic(KEYGATE_CLIENT.clientId, 'wrong') });
    for (const answer of [none, wrong]) {
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'invalid_client');
    }
  });
});

describe('userinfo with a bearer access token', () => {
  async function userinfo(headers: Record<string, string>): Promise<Response> {
    return fetch(`${idp.issuer}/protocol/openid-connect/userinfo`, { headers });
  }

  it('answers the user\'s claims', async () => {
    const token = await idp.mintAccessToken({}, { user: 'bob' });
    const response = await userinfo({ authorization: `Bearer ${token}` });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      sub: idp.subjectOf('bob'),
      preferred_username: 'bob',
      name: 'Bob Engineer',
      given_name: 'Bob',
      family_name: 'Engineer',
      email: 'bob@example.com',
      email_verified: true,
      groups: ['/data/team-b'],
    });
  });

  it('answers a service account', async () => {
    const token = await idp.clientCredentialsToken(CI_RUNNER.clientId, CI_RUNNER.secret);
    const response = await userinfo({ authorization: `Bearer ${token}` });
    assert.equal(response.status, 200);
    const body: unknown = await response.json();
    assert.ok(typeof body === 'object' && body !== null);
    assert.equal(Reflect.get(body, 'preferred_username'), 'service-account-ci-runner');
  });

  const refused = [
    { name: 'a tampered token', token: async () => tamper(await idp.mintAccessToken({}, { user: 'bob' })) },
    { name: 'an ID token', token: () => idp.mintAccessToken({ typ: 'ID', aud: 'keygate' }, { user: 'bob' }) },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} with 401 invalid_token`, async () => {
      const response = await userinfo({ authorization: `Bearer ${await c.token()}` });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="demo", error="invalid_token"/);
      await response.arrayBuffer();
    });
  }

  it('refuses a request without a token with 401', async () => {
    const response = await userinfo({});
    assert.equal(response.status, 401);
    await response.arrayBuffer();
  });
});
