import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityFromClaims, keycloakRoles } from '../../src/identity/claims.js';
import { ExpiringCache } from '../../src/identity/token-cache.js';
import { audienceOk, looksLikeJwt } from '../../src/identity/verify-token.js';
import { signatureKeys } from '../../src/identity/jwks.js';

describe('keycloak claims', () => {
  it('maps realm roles as role and client roles as client:role', () => {
    const roles = keycloakRoles({ realm_access: { roles: ['viewer', 7, 'engineer'] }, resource_access: { prefect: { roles: ['operator'] }, account: { roles: ['view-profile'] }, junk: 'x' } });
    assert.deepEqual(roles, ['viewer', 'engineer', 'prefect:operator', 'account:view-profile']);
  });
  it('builds an identity with groups, scopes and sid', () => {
    const id = identityFromClaims({ sub: 'u1', preferred_username: 'alice', email: 'a@x', name: 'Alice', groups: ['/data/team-a'], scope: 'openid email', sid: 's1' }, 'bearer');
    // Per-token claims (sid, jti, iat, ...) are never part of `claims`.
    const claims = { sub: 'u1', preferred_username: 'alice', email: 'a@x', name: 'Alice', groups: ['/data/team-a'], scope: 'openid email' };
    assert.deepEqual(id, { sub: 'u1', username: 'alice', email: 'a@x', name: 'Alice', roles: [], groups: ['/data/team-a'], scopes: ['openid', 'email'], via: 'bearer', sid: 's1', claims });
  });
  it('refuses an identity without sub', () => {
    assert.equal(identityFromClaims({ preferred_username: 'x' }, 'bearer'), undefined);
    assert.equal(identityFromClaims({ sub: 42 }, 'bearer'), undefined);
  });
  it('ignores wrongly typed claims instead of trusting them', () => {
    const id = identityFromClaims({ sub: 'u', realm_access: 'admin', groups: '/platform/admins', email: ['x'] }, 'bearer');
    assert.deepEqual([id?.roles, id?.groups, id?.email], [[], [], '']);
  });
});

describe('audienceOk', () => {
  const checks = { audiences: ['prefect'], authorizedParties: ['keygate'] };
  const table = [
    { name: 'aud string match', claims: { aud: 'prefect' }, want: true },
    { name: 'aud array match', claims: { aud: ['account', 'prefect'] }, want: true },
    { name: 'aud=account but azp accepted', claims: { aud: 'account', azp: 'keygate' }, want: true },
    { name: 'aud=account and foreign azp', claims: { aud: 'account', azp: 'other' }, want: false },
    { name: 'nothing', claims: {}, want: false },
  ];
  for (const c of table) it(c.name, () => assert.equal(audienceOk(c.claims, checks), c.want));
});

describe('looksLikeJwt', () => {
  it('accepts three base64url segments only', () => {
    assert.equal(looksLikeJwt('a.b.c'), true);
    assert.equal(looksLikeJwt('a.b.'), true);
    assert.equal(looksLikeJwt('opaque-token'), false);
    assert.equal(looksLikeJwt('a.b.c.d.e'), false);
    assert.equal(looksLikeJwt('a.b+.c'), false);
  });
});

describe('ExpiringCache', () => {
  it('never returns an entry at or after its expiry', () => {
    const c = new ExpiringCache<string>(10);
    c.set('k', 'v', 1000);
    assert.equal(c.get('k', 999), 'v');
    assert.equal(c.get('k', 1000), undefined);
  });
  it('stays bounded, evicting the oldest entry', () => {
    const c = new ExpiringCache<number>(3);
    for (let i = 0; i < 10; i++) c.set(`k${i}`, i, 1e12);
    assert.equal(c.size, 3);
    assert.equal(c.get('k0', 0), undefined);
    assert.equal(c.get('k9', 0), 9);
  });
});

describe('signatureKeys', () => {
  it('keeps use=sig and use-less public keys, drops enc keys and private material', () => {
    const keys = signatureKeys({ keys: [
      { kty: 'RSA', kid: 'sig1', use: 'sig', n: 'x', e: 'AQAB' },
      { kty: 'RSA', kid: 'enc1', use: 'enc', n: 'x', e: 'AQAB' },
      { kty: 'EC', kid: 'nouse', crv: 'P-256', x: 'x', y: 'y' },
      { kty: 'RSA', kid: 'priv', use: 'sig', n: 'x', e: 'AQAB', d: 'secret' },
      'garbage',
    ] });
    assert.deepEqual([...keys.keys()], ['sig1', 'nouse']);
  });
  it('refuses a document without keys', () => {
    assert.throws(() => signatureKeys({ nokeys: [] }), /keys/);
  });
});
