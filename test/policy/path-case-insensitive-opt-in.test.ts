/** Regression (issue #12 point 10): case-insensitive path matching, opt-in per policy for case-insensitive upstreams. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { decide, evaluate, matchRule } from '../../src/policy/evaluate.js';
import { explain } from '../../src/policy/explain.js';
import { alice, bob, load, problems, target, type RuleInput } from './fixtures.js';
import type { CompiledPolicy } from '../../src/policy/compiled.js';
import type { Decision } from '../../src/policy/types.js';

const RULES: readonly RuleInput[] = [
  { name: 'no-admin', paths: ['/admin/**'], deny: true },
  { name: 'namespace', paths: ['/API/Namespaces/{ns}/**'], allow: { anyRole: ['writer-{ns}'] } },
  { name: 'everyone', allow: 'authenticated' },
];

function policy(extra: Record<string, unknown>): CompiledPolicy {
  const r = load(stringify({ version: 1, default: 'deny', ...extra, rules: RULES }));
  assert.deepEqual(r.errors, []);
  assert.ok(r.value !== undefined);
  return r.value;
}

const insensitive = policy({ caseInsensitivePaths: true });
const sensitive = policy({});
const DENIED: Decision = { kind: 'deny', rule: 'no-admin', reason: 'deny_rule' };
const ALLOWED: Decision = { kind: 'allow', rule: 'everyone', reason: 'authenticated' };

describe('caseInsensitivePaths: true', () => {
  const table: Array<{ name: string; input: string; want: Decision }> = [
    { name: 'the pattern as written', input: '/admin/secret', want: DENIED },
    { name: 'upper case', input: '/ADMIN/secret', want: DENIED },
    { name: 'mixed case', input: '/aDmIn/secret', want: DENIED },
    { name: 'the prefix itself', input: '/Admin', want: DENIED },
    { name: 'another path', input: '/administrator', want: ALLOWED },
  ];
  for (const c of table) it(c.name, () => assert.deepEqual(evaluate(insensitive, target('GET', 'app.example.com', c.input), alice), c.want));

  it('a pattern written in mixed case matches any case, and captures are lower-case', () => {
    const m = matchRule(insensitive, target('GET', 'app.example.com', '/api/NAMESPACES/Team-A/workflows'));
    assert.equal(m.name, 'namespace');
    assert.deepEqual(m.captures, { ns: 'team-a' });
    const writer = { ...bob, roles: ['writer-team-a'] };
    assert.deepEqual(decide(m, writer), { kind: 'allow', rule: 'namespace', reason: 'condition_met' });
  });

  it('explain agrees with evaluate', () => {
    assert.equal(explain(insensitive, target('GET', 'app.example.com', '/ADMIN/x'), alice).decision.rule, 'no-admin');
  });
});

describe('paths stay case-sensitive by default', () => {
  it('/ADMIN/secret is not /admin/secret without the option', () => {
    assert.deepEqual(evaluate(sensitive, target('GET', 'app.example.com', '/ADMIN/secret'), alice), ALLOWED);
  });
  it('caseInsensitivePaths must be a boolean', () => {
    assert.deepEqual(problems('version: 1\ncaseInsensitivePaths: "yes"\nrules:\n  - name: a\n    allow: public\n'), [
      'policy.yaml:2:23: caseInsensitivePaths must be true or false, got "yes"',
    ]);
  });
});
