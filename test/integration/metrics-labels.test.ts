import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { sample, startKeygate, type TestKeygate } from '../support/keygate.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';

let idp: KeycloakLookalike;
let kg: TestKeygate;
let token = '';
before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, APP_POLICY);
  token = await idp.mintAccessToken({}, { user: 'alice' });
  const auth = { authorization: `Bearer ${token}` };
  await kg.auth('GET', APP_HOST, '/api/flows', auth);
  await kg.auth('POST', APP_HOST, '/api/flows/1', auth);
  await kg.auth('GET', APP_HOST, '/api/flows');
  await kg.auth('GET', APP_HOST, '/api/health');
  await kg.auth('GET', APP_HOST, '/api/%2F');
  await kg.auth('GET', 'unknown.example.com', '/x', auth);
  await kg.auth('GET', APP_HOST, '/api/flows', { authorization: 'Bearer nope' });
});
after(async () => {
  await kg.close();
  await idp.close();
});

it('keygate_decisions_total is broken down by decision, rule and reason', async () => {
  const text = await kg.metrics();
  const want: Array<[Record<string, string>, number]> = [
    [{ decision: 'allow', rule: 'api-read', reason: 'condition_met' }, 1],
    [{ decision: 'deny', rule: 'flows-write', reason: 'condition_unmet' }, 1],
    [{ decision: 'unauthenticated', rule: 'api-read', reason: 'no_credentials' }, 1],
    [{ decision: 'allow', rule: 'health', reason: 'public' }, 1],
    [{ decision: 'bad_request', rule: '(none)', reason: 'bad_target' }, 1],
    [{ decision: 'deny', rule: '(default)', reason: 'default_deny' }, 1],
    [{ decision: 'unauthenticated', reason: 'invalid_token' }, 1],
  ];
  for (const [labels, n] of want) assert.equal(sample(text, 'keygate_decisions_total', labels), n, JSON.stringify(labels));
  assert.ok(sample(text, 'keygate_decision_duration_seconds_count') >= 7);
});

it('no label anywhere carries a path, host, user or token', async () => {
  const text = await kg.metrics();
  const values = [...text.matchAll(/\w+="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? '');
  assert.ok(values.length > 10, 'expected labelled samples');
  const forbidden = [APP_HOST, 'example.com', '/api', '/x', 'alice', idp.subjectOf('alice'), token.slice(0, 16), 'Bearer', 'nope'];
  for (const v of values) for (const f of forbidden) assert.ok(!v.includes(f), `label value ${JSON.stringify(v)} carries ${JSON.stringify(f)}`);
});

it('every decision has one audit line with user, sub, method, host, path, rule, decision, reason and latency', async () => {
  const lines = kg.logs().filter((l) => l['msg'] === 'decision');
  assert.equal(lines.length, 7);
  const allow = lines.find((l) => l['decision'] === 'allow' && l['rule'] === 'api-read');
  assert.ok(allow);
  for (const k of ['user', 'sub', 'method', 'host', 'path', 'rule', 'decision', 'reason', 'latency_ms']) assert.ok(allow[k] !== undefined, k);
  assert.equal(allow['user'], 'alice');
  assert.ok(!JSON.stringify(lines).includes(token.slice(0, 16)));
});
