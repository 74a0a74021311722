import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { KeycloakLookalike } from '../../dev/idp/index.js';
import { startTestIdp } from '../support/idp.js';

let idp: KeycloakLookalike;

before(async () => {
  idp = await startTestIdp();
});
after(async () => {
  await idp.close();
});

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body: unknown = await response.json();
  assert.ok(typeof body === 'object' && body !== null);
  return Object.fromEntries(Object.entries(body));
}

describe('Keycloak URL layout', () => {
  it('the issuer is http://127.0.0.1:PORT/realms/demo', () => {
    assert.equal(idp.realm, 'demo');
    assert.equal(idp.url, `http://127.0.0.1:${idp.port}`);
    assert.equal(idp.issuer, `http://127.0.0.1:${idp.port}/realms/demo`);
  });

  it('discovery advertises exactly Keycloak\'s endpoint paths', async () => {
    const doc = await getJson(`${idp.issuer}/.well-known/openid-configuration`);
    const oidc = `${idp.issuer}/protocol/openid-connect`;
    const want = [
      { name: 'issuer', value: idp.issuer },
      { name: 'authorization_endpoint', value: `${oidc}/auth` },
      { name: 'token_endpoint', value: `${oidc}/token` },
      { name: 'jwks_uri', value: `${oidc}/certs` },
      { name: 'introspection_endpoint', value: `${oidc}/token/introspect` },
      { name: 'userinfo_endpoint', value: `${oidc}/userinfo` },
      { name: 'end_session_endpoint', value: `${oidc}/logout` },
    ];
    for (const { name, value } of want) assert.equal(doc[name], value, name);
    assert.equal(doc.backchannel_logout_supported, true);
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
    assert.ok(Array.isArray(doc.grant_types_supported));
    for (const grant of ['authorization_code', 'refresh_token', 'client_credentials']) {
      assert.ok(doc.grant_types_supported.includes(grant), grant);
    }
  });

  it('a path outside the realm is 404, like an unknown Keycloak realm', async () => {
    const response = await fetch(`${idp.url}/realms/other/.well-known/openid-configuration`);
    assert.equal(response.status, 404);
    await response.arrayBuffer();
  });
});

describe('JWKS at /certs', () => {
  it('publishes the RS256 signing key (use sig) and an RSA-OAEP key (use enc), as Keycloak does', async () => {
    const jwks = await getJson(`${idp.issuer}/protocol/openid-connect/certs`);
    assert.ok(Array.isArray(jwks.keys));
    const keys: unknown[] = jwks.keys;
    const pick = (use: string): Record<string, unknown> | undefined => {
      const key = keys.find((k) => typeof k === 'object' && k !== null && Reflect.get(k, 'use') === use);
      return typeof key === 'object' && key !== null ? Object.fromEntries(Object.entries(key)) : undefined;
    };
    const sig = pick('sig');
    const enc = pick('enc');
    assert.equal(keys.length, 2);
    assert.equal(sig?.kty, 'RSA');
    assert.equal(sig?.alg, 'RS256');
    assert.equal(sig?.kid, idp.currentKid());
    assert.equal(enc?.kty, 'RSA');
    assert.equal(enc?.alg, 'RSA-OAEP');
    assert.notEqual(enc?.kid, sig?.kid);
    for (const key of [sig, enc]) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key?.[secret], undefined, `no private member ${secret}`);
    }
  });

  it('publicJwks() is what /certs serves', async () => {
    const served = await getJson(`${idp.issuer}/protocol/openid-connect/certs`);
    assert.deepEqual(served, idp.publicJwks());
  });
});
