/**
 * Regression (issue #12 point 10): with a policy denying `/admin/**` and allowing everything else to any signed-in
 * user, these targets were allowed although some upstreams read them as `/admin/secret`. Each is refused as
 * ambiguous (400) by normalisation, before any rule, so no reading of it can reach a rule at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAuthError } from '../../src/errors.js';
import { buildTarget } from '../../src/http/target.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { normalizePath } from '../../src/policy/normalize-path.js';
import { alice, buildPolicy, target } from './fixtures.js';

const PARAM = (seg: string): string => `path parameter ";" in segment ${JSON.stringify(seg)}: upstreams that strip path parameters (Java servlet containers) would read another path`;
const DOT = (seg: string): string => `segment ${JSON.stringify(seg)} ends with ".": servers that strip trailing dots would read another path`;
const SPACE = (seg: string): string => `segment ${JSON.stringify(seg)} starts or ends with a space: servers that strip it would read another path`;
const DOUBLE = (esc: string, at: number): string => `double-encoded "${esc}" at offset ${at}: an upstream that decodes twice would read another path`;

describe('path normalisation: segments that upstreams read differently are refused', () => {
  const table: Array<{ name: string; input: string; want: string }> = [
    // The six cases of the issue; why each is ambiguous is in the detail.
    { name: 'servlet path parameter: /admin;x/secret', input: '/admin;x/secret', want: PARAM('admin;x') },
    { name: 'empty path parameter: /admin;/secret', input: '/admin;/secret', want: PARAM('admin;') },
    { name: 'encoded path parameter: /admin%3bx/secret', input: '/admin%3bx/secret', want: PARAM('admin;x') },
    { name: 'trailing dot: /admin./secret', input: '/admin./secret', want: DOT('admin.') },
    { name: 'trailing space: /admin%20/secret', input: '/admin%20/secret', want: SPACE('admin ') },
    { name: 'double encoding: /%2561dmin/secret', input: '/%2561dmin/secret', want: DOUBLE('%2561', 1) },
    // Variants of the same readings.
    { name: 'upper-case encoded parameter: /admin%3Bx/secret', input: '/admin%3Bx/secret', want: PARAM('admin;x') },
    { name: 'parameter on the last segment', input: '/admin/secret;x', want: PARAM('secret;x') },
    { name: 'encoded trailing dot: /admin%2e/secret', input: '/admin%2e/secret', want: DOT('admin.') },
    { name: 'several trailing dots: /admin../secret', input: '/admin../secret', want: DOT('admin..') },
    { name: 'trailing dot at the end: /admin.', input: '/admin.', want: DOT('admin.') },
    { name: 'leading space: /%20admin/secret', input: '/%20admin/secret', want: SPACE(' admin') },
    { name: 'trailing space and dot: /admin.%20/secret', input: '/admin.%20/secret', want: SPACE('admin. ') },
    { name: 'double-encoded dot-dot: /x/%252e%252e/admin', input: '/x/%252e%252e/admin', want: DOUBLE('%252e', 3) },
    { name: 'double-encoded slash: /x%252fadmin', input: '/x%252fadmin', want: DOUBLE('%252f', 2) },
    { name: 'double encoding is any %25 before two hex digits: /%256admin', input: '/%256admin', want: DOUBLE('%256a', 1) },
  ];
  for (const c of table) it(c.name, () => assert.deepEqual(normalizePath(c.input), { ok: false, detail: c.want }));

  const safe: Array<{ name: string; input: string; want: string }> = [
    { name: 'a dot inside a segment is a name', input: '/files/report.pdf', want: '/files/report.pdf' },
    { name: 'a leading dot is a name', input: '/x/.well-known/y', want: '/x/.well-known/y' },
    { name: 'a space inside a segment is kept', input: '/my%20files/x', want: '/my files/x' },
    { name: 'a percent not followed by two hex digits is decoded once', input: '/100%25/x', want: '/100%/x' },
    { name: '"." and ".." segments are still resolved', input: '/x/./y/../admin', want: '/x/admin' },
  ];
  for (const c of safe) it(`kept: ${c.name}`, () => assert.deepEqual(normalizePath(c.input), { ok: true, path: c.want }));
});

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
