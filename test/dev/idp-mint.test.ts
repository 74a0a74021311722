import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { createLocalJWKSet, jwtVerify } from 'jose';

import { BACKCHANNEL_LOGOUT_EVENT, type KeycloakLookalike } from '../../dev/idp/index.js';
import { startTestIdp } from '../support/idp.js';
import { decodeJwt } from './helpers.js';

let idp: KeycloakLookalike;

before(async () => {
  idp = await startTestIdp();
});
after(async () => {
  await idp.close();
});

describe('mintAccessToken', () => {
  it('signs a Keycloak-shaped token for a realm user with the current key', async () => {
    const token = await idp.mintAccessToken({}, { user: 'bob' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(idp.publicJwks()), { issuer: idp.issuer });
    assert.deepEqual(protectedHeader, { alg: 'RS256', typ: 'JWT', kid: idp.currentKid() });
    assert.equal(payload.sub, idp.subjectOf('bob'));
    assert.equal(payload.typ, 'Bearer');
    assert.equal(payload.aud, 'account');
    assert.equal(payload.azp, 'keygate');
    assert.deepEqual(payload.realm_access, { roles: ['engineer', 'viewer'] });
    assert.deepEqual(payload.resource_access, { prefect: { roles: ['operator'] } });
    assert.deepEqual(payload.groups, ['/data/team-b']);
  });

  it('applies overrides, and removes a claim given as undefined', async () => {
    const token = await idp.mintAccessToken({ aud: ['account', 'prefect'], exp: undefined, nbf: 5 }, { user: 'alice' });
    const { payload } = decodeJwt(token);
    assert.deepEqual(payload.aud, ['account', 'prefect']);
    assert.equal('exp' in payload, false);
    assert.equal(payload.nbf, 5);
  });

  it('signs with another key, algorithm, kid and typ when asked', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await idp.mintAccessToken({}, { user: 'alice', key: privateKey, alg: 'ES256', kid: 'foreign', typ: 'at+jwt' });
    assert.deepEqual(decodeJwt(token).header, { alg: 'ES256', typ: 'at+jwt', kid: 'foreign' });
    const withoutHeaders = await idp.mintAccessToken({}, { user: 'alice', kid: null, typ: null });
    assert.deepEqual(decodeJwt(withoutHeaders).header, { alg: 'RS256' });
  });

  it('makes an unsigned token for alg none', async () => {
    const token = await idp.mintAccessToken({}, { user: 'alice', alg: 'none' });
    assert.ok(token.endsWith('.'));
    assert.equal(decodeJwt(token).header.alg, 'none');
  });
});

describe('mintLogoutToken', () => {
  it('is a valid back-channel logout token', async () => {
    const token = await idp.mintLogoutToken({ sub: idp.subjectOf('alice'), sid: 'session-1', aud: 'keygate' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(idp.publicJwks()), {
      issuer: idp.issuer, audience: 'keygate', typ: 'logout+jwt',
    });
    assert.equal(protectedHeader.kid, idp.currentKid());
    assert.deepEqual(payload.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} });
    assert.equal(payload.sub, idp.subjectOf('alice'));
    assert.equal(payload.sid, 'session-1');
    assert.equal(typeof payload.jti, 'string');
    assert.equal(typeof payload.iat, 'number');
    assert.equal('nonce' in payload, false);
  });

  it('takes overrides for negative tests', async () => {
    const token = await idp.mintLogoutToken({ aud: 'keygate', sid: 's', nonce: 'forbidden', events: undefined });
    const { payload } = decodeJwt(token);
    assert.equal(payload.nonce, 'forbidden');
    assert.equal('events' in payload, false);
  });
});
