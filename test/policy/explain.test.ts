import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/policy/evaluate.js';
import { explain } from '../../src/policy/explain.js';
import { alice, anonymous, bob, buildPolicy, carol, policyYaml, target, type RuleInput } from './fixtures.js';

const HOST = 'app.example.com';
const RULES: RuleInput[] = [
  { name: 'health', hosts: [HOST], paths: ['/health'], methods: ['GET'], allow: 'public' },
  { name: 'other-host', hosts: ['other.example.com'], allow: 'public' },
  { name: 'writes', paths: ['/api/**'], methods: ['POST', 'PUT'], allow: { anyRole: ['engineer'] } },
  { name: 'ns', paths: ['/api/ns/{ns}/**'], allow: [{ anyRole: ['ns-{ns}-reader'], users: ['alice'] }, { anyGroup: ['/platform/admins'] }] },
  { name: 'ui', paths: ['/ui/**'], allow: 'authenticated' },
];
const policy = buildPolicy(RULES);
/** Line of the `ns` rule in the YAML the builder writes. */
const NS_LINE = policyYaml(RULES).split('\n').findIndex((l) => l === '  - name: ns') + 1;

describe('explain', () => {
  it('names the deciding rule, its position, and why each earlier rule did not match', () => {
    const e = explain(policy, target('GET', HOST, '/api/ns/prod/x'), alice);
    assert.deepEqual(e.decision, { kind: 'deny', rule: 'ns', reason: 'condition_unmet' });
    assert.ok(NS_LINE > 0);
    assert.deepEqual(e.rule, { index: 3, name: 'ns', line: NS_LINE, column: 5 });
    assert.deepEqual(e.captures, { ns: 'prod' });
    assert.deepEqual(e.skipped, [
      { index: 0, name: 'health', mismatches: [{ on: 'path', detail: 'path "/api/ns/prod/x" matches none of [/health]' }] },
      { index: 1, name: 'other-host', mismatches: [{ on: 'host', detail: 'host "app.example.com" is not in [other.example.com]' }] },
      { index: 2, name: 'writes', mismatches: [{ on: 'method', detail: 'method GET is not in [POST, PUT]' }] },
    ]);
  });

  it('shows each key of each block with templates expanded, and which held', () => {
    const e = explain(policy, target('GET', HOST, '/api/ns/prod/x'), alice);
    assert.deepEqual(e.conditions, [
      { block: 0, key: 'anyRole', values: ['ns-prod-reader'], held: false, matched: [] },
      { block: 0, key: 'users', values: ['alice'], held: true, matched: [] },
      { block: 1, key: 'anyGroup', values: ['/platform/admins'], held: false, matched: [] },
    ]);
    assert.equal(e.reason, 'no condition block held (2 blocks; each needs every key to hold)');
  });

  it('says which block held', () => {
    const e = explain(policy, target('GET', HOST, '/api/ns/prod/x'), carol);
    assert.equal(e.decision.kind, 'allow');
    assert.equal(e.reason, 'condition block allow[1] held');
  });

  it('lists several mismatches of one rule', () => {
    const e = explain(policy, target('DELETE', 'x.test', '/nowhere'), bob);
    assert.equal(e.rule, undefined);
    assert.equal(e.reason, 'no rule matched; the policy default is deny');
    assert.deepEqual(e.skipped[0]?.mismatches.map((m) => m.on), ['host', 'method', 'path']);
    assert.equal(e.skipped.length, policy.rules.length);
  });

  it('explains public, authenticated and anonymous outcomes', () => {
    const table = [
      { name: 'public', input: target('GET', HOST, '/health'), who: anonymous, want: 'the rule allows everyone (allow: public)' },
      { name: 'authenticated', input: target('GET', HOST, '/ui/x'), who: alice, want: 'the rule allows any authenticated identity (allow: authenticated)' },
      { name: 'anonymous on authenticated', input: target('GET', HOST, '/ui/x'), who: anonymous, want: 'the rule needs an identity and the request has none' },
      { name: 'anonymous on conditions', input: target('POST', HOST, '/api/x'), who: anonymous, want: 'the rule needs an identity and the request has none' },
    ];
    for (const { name, input, who, want } of table) assert.equal(explain(policy, input, who).reason, want, name);
  });

  it('never disagrees with evaluate', () => {
    for (const path of ['/health', '/api/x', '/api/ns/a/b', '/ui/', '/zzz']) {
      for (const method of ['GET', 'POST', 'PUT']) {
        for (const who of [alice, bob, carol, anonymous]) {
          const t = target(method, HOST, path);
          assert.deepEqual(explain(policy, t, who).decision, evaluate(policy, t, who));
        }
      }
    }
  });
});
