import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { AuthError } from '../../src/errors.js';
import type { PolicyMatch } from '../../src/http/auth-handler.js';
import { startTestIdp } from '../support/idp.js';
import { startKeygate, type TestKeygate } from '../support/keygate.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';

let idp: KeycloakLookalike;
let token = '';
const started: TestKeygate[] = [];
before(async () => {
  idp = await startTestIdp();
  token = await idp.mintAccessToken({}, { user: 'carol' });
});
after(async () => {
  for (const k of started) await k.close();
  await idp.close();
});

async function withFault(service: Parameters<typeof startKeygate>[2]): Promise<TestKeygate> {
  const kg = await startKeygate(idp.issuer, APP_POLICY, service);
  started.push(kg);
  return kg;
}

const allowEverything: PolicyMatch = { needsIdentity: true, decide: () => ({ kind: 'allow', rule: 'x', reason: 'condition_met' }) };

// Each fault sits where a bug or a broken dependency could be; none may turn into a 200.
const faults: Array<{ name: string; opts: Parameters<typeof startKeygate>[2] }> = [
  { name: 'verification throws synchronously', opts: { service: { match: () => allowEverything, verify: () => { throw new TypeError('boom'); } } } },
  { name: 'verification rejects with a non-AuthError', opts: { service: { match: () => allowEverything, verify: () => Promise.reject(new RangeError('boom')) } } },
  { name: 'verification rejects with undefined', opts: { service: { match: () => allowEverything, verify: () => Promise.reject(undefined) } } },
  { name: 'verification says the IdP is down', opts: { service: { match: () => allowEverything, verify: () => Promise.reject(new AuthError('ERR_IDP_UNAVAILABLE')) } } },
  { name: 'policy matching throws', opts: { service: { match: () => { throw new Error('evaluate exploded'); } } } },
  { name: 'policy decision throws', opts: { service: { match: () => ({ needsIdentity: true, decide: () => { throw new Error('decide exploded'); } }) } } },
  { name: 'policy decision returns garbage', opts: { service: { match: () => ({ needsIdentity: false, decide: () => ({ kind: 'maybe' }) as never }) } } },
  { name: 'the policy is a broken object', opts: { service: { match: () => null as never } } },
];

describe('fail closed', () => {
  for (const f of faults) {
    it(`${f.name}: never 200`, async () => {
      const kg = await withFault(f.opts);
      const res = await kg.auth('GET', APP_HOST, '/api/flows', { authorization: `Bearer ${token}` });
      assert.notEqual(res.status, 200);
      assert.ok(res.status >= 400, `status ${res.status}`);
      assert.equal(res.headers.get('x-auth-user'), null, 'no identity headers on an error');
    });
  }
});
