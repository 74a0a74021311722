/** Regression: `..` inside the path resolves before matching, so `/api/../admin` is decided as `/admin`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/policy/evaluate.js';
import { normalizePath } from '../../src/policy/normalize-path.js';
import { buildPolicy, carol, alice, target } from './fixtures.js';

describe('path normalisation: ".." that stays below the root', () => {
  const table = [
    { name: 'one level', input: '/api/../admin', want: '/admin' },
    { name: 'encoded dots', input: '/api/%2e%2e/admin', want: '/admin' },
    { name: 'deeper', input: '/api/v1/../../admin/users', want: '/admin/users' },
    { name: 'with "." and "//"', input: '/api/./..//admin', want: '/admin' },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(normalizePath(input), { ok: true, path: want }));
  }

  it('/api/../admin is matched by the /admin rule, not the /api rule', () => {
    const policy = buildPolicy([
      { name: 'api', paths: ['/api/**'], allow: 'authenticated' },
      { name: 'admin', paths: ['/admin/**'], allow: { anyRole: ['admin'] } },
    ]);
    const n = normalizePath('/api/../admin');
    assert.ok(n.ok);
    assert.deepEqual(evaluate(policy, target('GET', 'app.example.com', n.path), alice), { kind: 'deny', rule: 'admin', reason: 'condition_unmet' });
    assert.deepEqual(evaluate(policy, target('GET', 'app.example.com', n.path), carol), { kind: 'allow', rule: 'admin', reason: 'condition_met' });
  });
});
