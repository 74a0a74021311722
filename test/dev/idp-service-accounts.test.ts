import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { createLocalJWKSet, jwtVerify } from 'jose';

import { DevIdpError, type KeycloakLookalike } from '../../dev/idp/index.js';
import { CI_READER, CI_RUNNER, startTestIdp } from '../support/idp.js';
import { basic, decodeJwt, stringField, tokenRequest } from './helpers.js';

let idp: KeycloakLookalike;

before(async () => {
  idp = await startTestIdp({
    audience: ['prefect'],
    extraClients: [{ clientId: 'deployer', secret: 'deployer-secret', serviceAccountRoles: { clientRoles: { prefect: ['operator'] } } }],
  });
});
after(async () => {
  await idp.close();
});

const authMethods = [
  {
    name: 'client_secret_basic',
    request: () => tokenRequest(idp, { grant_type: 'client_credentials' }, basic(CI_RUNNER.clientId, CI_RUNNER.secret)),
  },
  {
    name: 'client_secret_post',
    request: () => tokenRequest(idp, {
      grant_type: 'client_credentials', client_id: CI_RUNNER.clientId, client_secret: CI_RUNNER.secret,
    }),
  },
];

describe('client_credentials gives a Keycloak-shaped service-account token', () => {
  for (const method of authMethods) {
    it(`with ${method.name}`, async () => {
      const answer = await method.request();
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.token_type, 'Bearer');
      assert.equal(answer.body.expires_in, 300);
      assert.equal(answer.body.refresh_token, undefined, 'Keycloak issues no refresh token to service accounts');
      const { header, payload } = decodeJwt(stringField(answer.body, 'access_token'));
      assert.deepEqual(header, { alg: 'RS256', typ: 'JWT', kid: idp.currentKid() });
      assert.equal(payload.iss, idp.issuer);
      assert.equal(payload.typ, 'Bearer');
      assert.equal(payload.azp, 'ci-runner');
      assert.deepEqual(payload.aud, ['account', 'prefect']);
      assert.equal(payload.preferred_username, 'service-account-ci-runner');
      assert.deepEqual(payload.realm_access, { roles: ['engineer'] });
      assert.equal(payload.resource_access, undefined, 'no client roles, no resource_access (as Keycloak)');
      assert.equal(payload.sid, undefined, 'service accounts have no user session');
      assert.equal(typeof payload.sub, 'string');
      assert.equal(typeof payload.jti, 'string');
      assert.equal(Number(payload.exp) - Number(payload.iat), 300);
    });
  }

  it('the token verifies against the published JWKS', async () => {
    const token = await idp.clientCredentialsToken(CI_READER.clientId, CI_READER.secret);
    const { payload } = await jwtVerify(token, createLocalJWKSet(idp.publicJwks()), { issuer: idp.issuer });
    assert.equal(payload.preferred_username, 'service-account-ci-reader');
    assert.deepEqual(payload.realm_access, { roles: ['viewer'] });
  });

  it('service-account client roles land in resource_access', async () => {
    const { payload } = decodeJwt(await idp.clientCredentialsToken('deployer', 'deployer-secret'));
    assert.deepEqual(payload.resource_access, { prefect: { roles: ['operator'] } });
    assert.equal(payload.realm_access, undefined, 'no realm roles, no realm_access (as Keycloak)');
    assert.equal(payload.preferred_username, 'service-account-deployer');
  });

  it('a wrong secret is invalid_client, for both methods', async () => {
    const viaBasic = await tokenRequest(idp, { grant_type: 'client_credentials' }, basic(CI_RUNNER.clientId, 'nope'));
    const viaPost = await tokenRequest(idp, { grant_type: 'client_credentials', client_id: CI_RUNNER.clientId, client_secret: 'nope' });
    for (const answer of [viaBasic, viaPost]) {
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'invalid_client');
    }
  });

  it('clientCredentialsToken() fails with ERR_DEV_IDP_TOKEN_REQUEST on a wrong secret', async () => {
    await assert.rejects(idp.clientCredentialsToken(CI_RUNNER.clientId, 'nope'), (error: unknown) => {
      assert.ok(error instanceof DevIdpError);
      assert.equal(error.code, 'ERR_DEV_IDP_TOKEN_REQUEST');
      assert.equal(error.message, 'client_credentials for "ci-runner" failed: HTTP 401 invalid_client');
      return true;
    });
  });

  it('a login-only client cannot use client_credentials', async () => {
    const answer = await tokenRequest(idp, { grant_type: 'client_credentials' }, basic('keygate', 'keygate-secret'));
    // Keycloak says unauthorized_client here; oidc-provider says invalid_request. Either way: no token.
    assert.equal(answer.status, 400);
    assert.equal(answer.body.access_token, undefined);
  });
});
