/**
 * The auth handler's Basic path (basicClients) against the Keycloak look-alike over HTTP: off by default, listed
 * clients only, the exchanged token decided like a bearer token, failures counted, secrets never logged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { sample, startKeygate, type TestKeygate } from '../support/keygate.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';

let idp: KeycloakLookalike;
let on: TestKeygate;
let off: TestKeygate;

before(async () => {
  idp = await startTestIdp();
  on = await startKeygate(idp.issuer, APP_POLICY, { env: { KEYGATE_BASIC_CLIENTS: 'ci-runner' } });
  off = await startKeygate(idp.issuer, APP_POLICY);
});
after(async () => {
  await on.close();
  await off.close();
  await idp.close();
});

const basic = (id: string, secret: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

describe('Authorization: Basic client credentials (basicClients)', () => {
  it('a listed client\'s credentials are exchanged and decided by the service account\'s roles', async () => {
    const write = await on.auth('POST', APP_HOST, '/api/flows/abc/runs', basic('ci-runner', 'ci-runner-secret'));
    assert.equal(write.status, 200, await write.text());
    assert.equal(write.headers.get('x-auth-user'), 'service-account-ci-runner');
    const admin = await on.auth('GET', APP_HOST, '/admin/settings', basic('ci-runner', 'ci-runner-secret'));
    assert.equal(admin.status, 403, 'the exchanged token carries the roles, no more');
    const line = on.logs().filter((l) => l['msg'] === 'decision').at(-1);
    assert.deepEqual([line?.['user'], line?.['azp'], line?.['via'], line?.['rule']], ['service-account-ci-runner', 'ci-runner', 'bearer', 'admin-api']);
  });

  it('a wrong secret gets 401 invalid_token and is counted; an unlisted client gets 401 without an exchange', async () => {
    const wrong = await on.auth('GET', APP_HOST, '/api/flows', basic('ci-runner', 'not-the-secret-7Hq'));
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /invalid_token/);
    const unlisted = await on.auth('GET', APP_HOST, '/api/flows', basic('ci-reader', 'ci-reader-secret'));
    assert.equal(unlisted.status, 401);
    const m = await on.metrics();
    assert.equal(sample(m, 'keygate_basic_exchange_failures_total', { reason: 'rejected' }), 1);
    assert.equal(sample(m, 'keygate_basic_exchange_failures_total', { reason: 'not_listed' }), 1);
    const logs = JSON.stringify(on.logs());
    for (const secret of ['not-the-secret-7Hq', 'ci-reader-secret', 'ci-runner-secret']) assert.ok(!logs.includes(secret), `${secret} was logged`);
    assert.match(logs, /Keycloak refused the client credentials of client \\"ci-runner\\"/);
  });

  it('off by default: Basic credentials are ignored (401 as without credentials), Keycloak is never asked', async () => {
    const res = await off.auth('GET', APP_HOST, '/api/flows', basic('ci-runner', 'ci-runner-secret'));
    assert.equal(res.status, 401);
    assert.equal(sample(await off.metrics(), 'keygate_basic_exchange_failures_total'), 0);
  });
});
