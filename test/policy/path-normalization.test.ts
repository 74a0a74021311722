/**
 * Path normalisation regressions, one table: each group names what it pins (it used to be a file of its own, such as
 * path-normalization-encoded-slash.test.ts) and says why; one runner checks every case against normalizePath.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/policy/evaluate.js';
import { normalizePath, type NormalizedPath } from '../../src/policy/normalize-path.js';
import { alice, buildPolicy, carol, target } from './fixtures.js';

const ok = (path: string): NormalizedPath => ({ ok: true, path });
const bad = (detail: string): NormalizedPath => ({ ok: false, detail });
const ABOVE_ROOT = bad('".." climbs above the root');
const PARAM = (seg: string): NormalizedPath => bad(`path parameter ";" in segment ${JSON.stringify(seg)}: upstreams that strip path parameters (Java servlet containers) would read another path`);
const DOT = (seg: string): NormalizedPath => bad(`segment ${JSON.stringify(seg)} ends with ".": servers that strip trailing dots would read another path`);
const SPACE = (seg: string): NormalizedPath => bad(`segment ${JSON.stringify(seg)} starts or ends with a space: servers that strip it would read another path`);
const DOUBLE = (esc: string, at: number): NormalizedPath => bad(`double-encoded "${esc}" at offset ${at}: an upstream that decodes twice would read another path`);

interface Group {
  /** What the group pins, as its regression test is named. */
  readonly pins: string;
  readonly why: string;
  readonly cases: ReadonlyArray<{ readonly name: string; readonly input: string; readonly want: NormalizedPath }>;
}

/** Every regression case of path normalisation. */
const REGRESSIONS: readonly Group[] = [
  {
    pins: 'backslash',
    why: 'a backslash is a separator to some upstreams (IIS, Windows) and a character to others: refused',
    cases: [
      { name: 'a raw backslash', input: '/api\\admin', want: bad('backslash at offset 4') },
      { name: 'a raw backslash traversal', input: '/api/..\\admin', want: bad('backslash at offset 7') },
      { name: 'an encoded backslash %5C', input: '/api%5Cadmin', want: bad('encoded backslash "%5C" at offset 4') },
      { name: 'an encoded backslash %5c', input: '/api%5cadmin', want: bad('encoded backslash "%5c" at offset 4') },
    ],
  },
  {
    pins: 'bad-percent',
    why: 'invalid percent-encoding has no single meaning (upstreams keep, drop or reject it): refused',
    cases: [
      { name: 'non-hex digits', input: '/api/%zz', want: bad('invalid percent-encoding "%zz" at offset 5') },
      { name: 'one hex digit then a slash', input: '/api/%4/x', want: bad('invalid percent-encoding "%4/" at offset 5') },
      { name: 'truncated at the end', input: '/api/%4', want: bad('invalid percent-encoding "%4" at offset 5') },
      { name: 'a lone percent sign', input: '/100%', want: bad('invalid percent-encoding "%" at offset 4') },
      { name: 'a percent sign before text', input: '/100%off', want: bad('invalid percent-encoding "%of" at offset 4') },
      { name: 'bytes that are not UTF-8', input: '/%FF%FE', want: bad('percent-encoding does not decode to valid UTF-8') },
      { name: 'a UTF-16 surrogate encoded as UTF-8', input: '/%ED%A0%80', want: bad('percent-encoding does not decode to valid UTF-8') },
    ],
  },
  {
    pins: 'dotdot-above-root',
    why: '`..` above the root is refused (some upstreams clamp, others serve files outside the root)',
    cases: [
      { name: 'at the start', input: '/../admin', want: ABOVE_ROOT },
      { name: 'after one segment', input: '/api/../../admin', want: ABOVE_ROOT },
      { name: 'encoded dots', input: '/%2e%2e/admin', want: ABOVE_ROOT },
      { name: 'mixed-case encoded dots', input: '/api/%2E%2e/%2e./etc/passwd', want: ABOVE_ROOT },
      { name: 'just "/.."', input: '/..', want: ABOVE_ROOT },
      { name: 'after "." segments', input: '/./../x', want: ABOVE_ROOT },
    ],
  },
  {
    pins: 'dotdot-resolves',
    why: '`..` inside the path resolves before matching, so `/api/../admin` is decided as `/admin`',
    cases: [
      { name: 'one level', input: '/api/../admin', want: ok('/admin') },
      { name: 'encoded dots', input: '/api/%2e%2e/admin', want: ok('/admin') },
      { name: 'deeper', input: '/api/v1/../../admin/users', want: ok('/admin/users') },
      { name: 'with "." and "//"', input: '/api/./..//admin', want: ok('/admin') },
    ],
  },
  {
    pins: 'encoded-slash',
    why: 'an encoded slash is ambiguous (is `a%2Fb` one segment or two upstream?) and is refused',
    cases: [
      { name: 'upper-case %2F', input: '/api/a%2Fb', want: bad('encoded slash "%2F" at offset 6') },
      { name: 'lower-case %2f', input: '/api/a%2fb', want: bad('encoded slash "%2f" at offset 6') },
      { name: 'encoded slash hiding a traversal', input: '/api/..%2Fadmin', want: bad('encoded slash "%2F" at offset 7') },
      { name: 'at the start', input: '/%2F', want: bad('encoded slash "%2F" at offset 1') },
      { name: 'a double-encoded slash: an upstream that decodes twice would see a slash (issue #12)', input: '/api/a%252Fb', want: DOUBLE('%252F', 6) },
    ],
  },
  {
    pins: 'nul',
    why: 'NUL truncates paths in C upstreams (`/admin%00.png` → `/admin`): refused, raw or encoded',
    cases: [
      { name: 'encoded %00', input: '/admin%00.png', want: bad('encoded NUL "%00" at offset 6') },
      { name: 'encoded %00 at the end', input: '/api/items%00', want: bad('encoded NUL "%00" at offset 10') },
      { name: 'a raw NUL', input: '/admin\u0000.png', want: bad('control character 0x00 at offset 6') },
    ],
  },
  {
    pins: 'ambiguous-segments',
    why: 'issue #12 point 10: segments that upstreams read differently (as `/admin/secret`) are refused; the rest is kept',
    cases: [
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
      // Kept: the same characters where no upstream reads another path.
      { name: 'kept: a dot inside a segment is a name', input: '/files/report.pdf', want: ok('/files/report.pdf') },
      { name: 'kept: a leading dot is a name', input: '/x/.well-known/y', want: ok('/x/.well-known/y') },
      { name: 'kept: a space inside a segment is kept', input: '/my%20files/x', want: ok('/my files/x') },
      { name: 'kept: a percent not followed by two hex digits is decoded once', input: '/100%25/x', want: ok('/100%/x') },
      { name: 'kept: "." and ".." segments are still resolved', input: '/x/./y/../admin', want: ok('/x/admin') },
    ],
  },
];

for (const group of REGRESSIONS) {
  describe(`path-normalization-${group.pins}: ${group.why}`, () => {
    for (const c of group.cases) it(c.name, () => assert.deepEqual(normalizePath(c.input), c.want));
  });
}

describe('path-normalization-dotdot-resolves: the policy sees the resolved path', () => {
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
