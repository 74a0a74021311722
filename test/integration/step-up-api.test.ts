/**
 * Step-up for API calls (issue 13 point 3, RFC 9470): a valid token that fails a rule only on `maxAuthAge` or `acr`
 * gets 401 `insufficient_user_authentication` with `max_age` / `acr_values`; any other failure stays 403; a fresh,
 * strong enough sign-in passes. Browser navigations keep the 403 (no loop).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { startKeygate, type TestKeygate } from '../support/keygate.js';

const HOST = 'prefect.example.com';
let idp: KeycloakLookalike;
let kg: TestKeygate;
const nowS = (): number => Math.floor(Date.now() / 1000);

before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, `version: 1
rules:
  - name: prefect-run
    hosts: [${HOST}]
    paths: ["/api/deployments/*/create_flow_run"]
    methods: [POST]
    allow:
      anyRole: [viewer, engineer]
      maxAuthAge: 300
  - name: prefect-admin
    hosts: [${HOST}]
    paths: ["/api/admin/**"]
    allow:
      anyRole: [viewer, engineer]
      acr: [gold]
`);
});
after(async () => {
  await kg?.close();
  await idp?.close();
});

const post = async (path: string, token: string, extra: Record<string, string> = {}): Promise<Response> =>
  kg.auth('POST', HOST, path, { authorization: `Bearer ${token}`, ...extra });

describe('step-up for API calls', () => {
  it('a sign-in older than maxAuthAge gets 401 insufficient_user_authentication with max_age', async () => {
    const res = await post('/api/deployments/d1/create_flow_run', await idp.mintAccessToken({ auth_time: nowS() - 3600 }, { user: 'alice' }));
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="keygate", error="insufficient_user_authentication", error_description="a more recent or stronger sign-in is required", max_age=300');
    assert.deepEqual(await res.json(), { error: 'insufficient_user_authentication', error_description: 'a more recent or stronger sign-in is required', rule: 'prefect-run' });
  });

  it('a token without auth_time gets the same 401 (fails closed)', async () => {
    const res = await post('/api/deployments/d1/create_flow_run', await idp.mintAccessToken({ auth_time: undefined }, { user: 'alice' }));
    assert.equal(res.status, 401);
  });

  it('a fresh sign-in passes', async () => {
    const res = await post('/api/deployments/d1/create_flow_run', await idp.mintAccessToken({ auth_time: nowS() - 10 }, { user: 'alice' }));
    assert.equal(res.status, 200);
  });

  it('a weaker acr gets 401 with acr_values', async () => {
    const res = await post('/api/admin/x', await idp.mintAccessToken({ acr: '1' }, { user: 'alice' }));
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_user_authentication".*acr_values="gold"/);
  });

  it('a token without the role stays 403: no new sign-in would help', async () => {
    const token = await idp.mintAccessToken({ auth_time: nowS() - 3600, realm_access: { roles: [] }, resource_access: {} }, { user: 'alice' });
    assert.equal((await post('/api/deployments/d1/create_flow_run', token)).status, 403);
  });

  it('the audit line says step_up', async () => {
    await post('/api/deployments/d1/create_flow_run', await idp.mintAccessToken({ auth_time: nowS() - 3600 }, { user: 'alice' }));
    assert.ok(kg.logs().some((l) => l['reason'] === 'step_up' && l['rule'] === 'prefect-run'), JSON.stringify(kg.logs().slice(-3)));
  });
});
