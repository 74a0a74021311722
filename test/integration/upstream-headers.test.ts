/**
 * Upstream headers per rule (issue 13), end to end over HTTP against the Keycloak look-alike: keygate's 200 answer
 * carries the rule's fixed, secret and claim headers; a client's forged copy never wins; the secret never appears in
 * a 403 body or in a log line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { startKeygate, type TestKeygate } from '../support/keygate.js';

const HOST = 'prefect.example.com';
const AUTH_STRING = 'admin:s3cret-prefect-auth';
const BASIC = `Basic ${Buffer.from(AUTH_STRING).toString('base64')}`;

let idp: KeycloakLookalike;
let kg: TestKeygate;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-upstream-'));
  const secret = join(dir, 'prefect-auth');
  writeFileSync(secret, `${AUTH_STRING}\n`);
  const policy = `version: 1
rules:
  - name: health
    hosts: [${HOST}]
    paths: [/api/health]
    allow: public
    headers:
      X-Env: production
  - name: prefect-api
    hosts: [${HOST}]
    paths: ["/api/**"]
    allow:
      anyRole: [viewer, engineer]
    headers:
      Authorization: { file: ${JSON.stringify(secret)}, prefix: "Basic ", base64: true }
      X-Auth-Tenant: { claim: tenant }
      X-Auth-Teams: { claim: teams }
`;
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, policy);
});
after(async () => {
  await kg?.close();
  await idp?.close();
});

const bearer = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

describe('upstream headers in the 200 answer', () => {
  it('carries the secret, the claims and the identity headers', async () => {
    const token = await idp.mintAccessToken({ tenant: 'acme', teams: ['data', 'ml'] }, { user: 'alice' });
    const res = await kg.auth('GET', HOST, '/api/flows', bearer(token));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('authorization'), BASIC);
    assert.equal(res.headers.get('x-auth-tenant'), 'acme');
    assert.equal(res.headers.get('x-auth-teams'), 'data,ml');
    assert.equal(res.headers.get('x-auth-user'), 'alice');
  });

  it('a forged client copy never wins: the claim is absent, so the header is sent empty', async () => {
    const token = await idp.mintAccessToken({}, { user: 'alice' });
    const res = await kg.auth('GET', HOST, '/api/flows', bearer(token, { 'x-auth-tenant': 'globex' }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-auth-tenant'), '');
  });

  it('a claim of another type (a number) is sent empty', async () => {
    const token = await idp.mintAccessToken({ tenant: 42 }, { user: 'alice' });
    const res = await kg.auth('GET', HOST, '/api/flows', bearer(token));
    assert.equal(res.headers.get('x-auth-tenant'), '');
  });

  it('a claim value with non-ASCII characters is sanitised like identity headers', async () => {
    const token = await idp.mintAccessToken({ tenant: 'Zürich\r\nX-Evil: 1' }, { user: 'alice' });
    const res = await kg.auth('GET', HOST, '/api/flows', bearer(token));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-auth-tenant'), 'Z%C3%BCrich%0D%0AX-Evil: 1');
    assert.equal(res.headers.get('x-evil'), null);
  });

  it('a public rule sends its fixed header without an identity', async () => {
    const res = await kg.auth('GET', HOST, '/api/health');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-env'), 'production');
    // Another rule's header is sent empty, like an unknown identity header: Caddy 2.6 would otherwise copy its
    // placeholder text upstream, and every proxy overwrites a client's forged copy with the empty value.
    assert.equal(res.headers.get('authorization'), '');
  });

  it('the secret never appears in a 403 body or in any log line', async () => {
    const token = await idp.mintAccessToken({ tenant: 'acme', realm_access: { roles: [] }, resource_access: {} }, { user: 'alice' });
    const denied = await kg.auth('GET', HOST, '/api/flows', bearer(token));
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('authorization'), null);
    const body = await denied.text();
    const allowed = await kg.auth('GET', HOST, '/api/flows', bearer(await idp.mintAccessToken({}, { user: 'alice' })));
    assert.equal(allowed.status, 200);
    const logs = JSON.stringify(kg.logs());
    for (const text of [body, logs]) {
      assert.ok(!text.includes(AUTH_STRING), 'the auth string leaked');
      assert.ok(!text.includes(Buffer.from(AUTH_STRING).toString('base64')), 'the encoded auth string leaked');
    }
  });
});
