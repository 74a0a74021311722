import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { sample, startKeygate, type TestKeygate } from '../support/keygate.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';
import { eventually } from '../support/wait.js';

let idp: KeycloakLookalike;
let kg: TestKeygate;
before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, APP_POLICY);
});
after(async () => {
  await kg.close();
  await idp.close();
});


it('a valid edit takes effect without a restart', async () => {
  assert.equal((await kg.auth('GET', APP_HOST, '/api/health')).status, 200);
  writeFileSync(kg.policyFile, APP_POLICY.replace('allow: public', 'deny: true'));
  assert.ok(await eventually(async () => (await kg.auth('GET', APP_HOST, '/api/health')).status === 403), 'the new policy should apply');
  assert.equal(sample(await kg.metrics(), 'keygate_policy_reloads_total', { result: 'success' }), 1);
});

it('an invalid edit is logged and counted, and the old policy stays in force', async () => {
  writeFileSync(kg.policyFile, 'version: 1\nrules:\n  - name: Bad Name\n    methods: [FETCH]\n    allow: public\n');
  assert.ok(await eventually(async () => sample(await kg.metrics(), 'keygate_policy_reloads_total', { result: 'error' }) === 1), 'the rejection should be counted');
  assert.equal((await kg.auth('GET', APP_HOST, '/api/health')).status, 403, 'the previous (valid) policy is still in force');
  const rejected = kg.logs().find((l) => l['msg'] === 'policy reload rejected; the previous policy stays in force');
  assert.ok(rejected, 'the rejection is logged');
  assert.match(String(rejected['problems']), /policy\.yaml:\d+:\d+/);
});
