import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { startKeygate, type TestKeygate } from '../support/keygate.js';

// Issue #12 point 10, through the real /auth: the policy denies /admin/** and allows every signed-in user elsewhere.
const POLICY = `version: 1
default: deny
rules:
  - name: no-admin
    paths: ["/admin/**"]
    deny: true
  - name: everyone
    allow: authenticated
`;
const HOST = 'app.example.com';

let idp: KeycloakLookalike;
let kg: TestKeygate;
let insensitive: TestKeygate;
let token: string;

before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, POLICY);
  insensitive = await startKeygate(idp.issuer, `caseInsensitivePaths: true\n${POLICY}`);
  token = await idp.mintAccessToken({
    realm_access: { roles: ['a,prefect-admin', 'viewer', '100%', 'é'] },
    groups: ['/team,/platform/admins', '/data/team a'],
  }, { user: 'alice' });
});
after(async () => {
  await kg.close();
  await insensitive.close();
  await idp.close();
});

describe('ambiguous targets through /auth (issue #12 point 10)', () => {
  for (const uri of ['/admin;x/secret', '/admin;/secret', '/admin%3bx/secret', '/admin./secret', '/admin%20/secret', '/%2561dmin/secret']) {
    it(`${uri}: 400 ERR_BAD_TARGET, never 200`, async () => {
      const r = await kg.auth('GET', HOST, uri, { authorization: `Bearer ${token}` });
      assert.equal(r.status, 400);
      assert.deepEqual(await r.json(), { error: 'invalid_request', error_description: 'the request target is malformed or ambiguous' });
    });
  }
  it('the plain reading is denied and any other path allowed', async () => {
    assert.equal((await kg.auth('GET', HOST, '/admin/secret', { authorization: `Bearer ${token}` })).status, 403);
    assert.equal((await kg.auth('GET', HOST, '/reports/secret', { authorization: `Bearer ${token}` })).status, 200);
  });
  it('/ADMIN/secret is denied when the policy opts into caseInsensitivePaths, allowed (case-sensitive) otherwise', async () => {
    assert.equal((await insensitive.auth('GET', HOST, '/ADMIN/secret', { authorization: `Bearer ${token}` })).status, 403);
    assert.equal((await kg.auth('GET', HOST, '/ADMIN/secret', { authorization: `Bearer ${token}` })).status, 200);
  });
});

describe('identity header lists cannot be forged by a role or group name (issue #12 point 10)', () => {
  it('a "," inside a role or group is %2C, "%" is %25, non-ASCII is UTF-8 percent-encoded', async () => {
    const r = await kg.auth('GET', HOST, '/reports', { authorization: `Bearer ${token}` });
    assert.equal(r.status, 200);
    const roles = r.headers.get('x-auth-roles') ?? '';
    assert.equal(roles, 'a%2Cprefect-admin,viewer,100%25,%C3%A9');
    assert.deepEqual(roles.split(',').map(decodeURIComponent), ['a,prefect-admin', 'viewer', '100%', 'é']);
    assert.ok(!roles.split(',').includes('prefect-admin'), 'no item reads as prefect-admin');
    const groups = r.headers.get('x-auth-groups') ?? '';
    assert.equal(groups, '/team%2C/platform/admins,/data/team a');
    assert.deepEqual(groups.split(',').map(decodeURIComponent), ['/team,/platform/admins', '/data/team a']);
  });
});
