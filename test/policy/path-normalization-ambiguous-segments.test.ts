/**
 * Regression (issue #12 point 10): with a policy denying `/admin/**` and allowing everything else to any signed-in
 * user, these targets were allowed although some upstreams read them as `/admin/secret`. Each is refused as
 * ambiguous (400) by normalisation, before any rule, so no reading of it can reach a rule at all. The normalisation
 * cases themselves are in the one table of path-normalization.test.ts (group "ambiguous-segments").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAuthError } from '../../src/errors.js';
import { buildTarget } from '../../src/http/target.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { alice, buildPolicy, target } from './fixtures.js';

describe('the issue policy: none of the ambiguous targets reaches a rule', () => {
  const policy = buildPolicy([
    { name: 'no-admin', paths: ['/admin/**'], deny: true },
    { name: 'everyone', allow: 'authenticated' },
  ]);
  for (const raw of ['/admin;x/secret', '/admin;/secret', '/admin%3bx/secret', '/admin./secret', '/admin%20/secret', '/%2561dmin/secret']) {
    it(`${raw} is ERR_BAD_TARGET (400), never allowed`, () => {
      assert.throws(() => buildTarget('GET', 'https', 'app.example.com', raw), (err: unknown) => isAuthError(err) && err.code === 'ERR_BAD_TARGET' && err.status === 400);
    });
  }
  it('the reading the upstream would see is denied', () => {
    assert.deepEqual(evaluate(policy, target('GET', 'app.example.com', '/admin/secret'), alice), { kind: 'deny', rule: 'no-admin', reason: 'deny_rule' });
  });
});
