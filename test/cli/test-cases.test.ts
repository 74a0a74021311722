import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { testCommand } from '../../src/cli/test-cases.js';
import { captureIo, ROOT, tempFiles } from './support.js';

const DEMO_POLICY = join(ROOT, 'examples', 'demo', 'policy.yaml');

const CASES = `cases:
  - name: viewer reads
    request: { method: GET, url: "http://h/api/items" }
    identity: { user: alice, roles: [viewer] }
    expect: allow
    rule: demo-api-read
  - name: viewer writes (wrongly expected to pass)
    request: { method: POST, url: "http://h/api/items" }
    identity: { user: alice, roles: [viewer] }
    expect: allow
  - name: anonymous UI
    request: { method: GET, url: "http://h/" }
    expect: unauthenticated
    rule: demo-health
  - name: encoded slash
    request: { method: GET, url: "http://h/a%2Fb" }
    expect: bad_request
`;

describe('keygate test', () => {
  it('passes the demo cases', async () => {
    const io = captureIo();
    assert.equal(await testCommand(['--policy', DEMO_POLICY, join(ROOT, 'examples', 'demo', 'cases.yaml')], io), 0);
    assert.match(io.out(), /^\d+ passed, 0 failed\n$/);
  });

  it('prints each failure and "N passed, N failed", and returns 1', async () => {
    const dir = tempFiles({ 'cases.yaml': CASES });
    const io = captureIo();
    assert.equal(await testCommand(['--policy', DEMO_POLICY, join(dir, 'cases.yaml')], io), 1);
    assert.equal(
      io.out(),
      [
        'FAIL "viewer writes (wrongly expected to pass)": expected allow, got deny by rule demo-api-write (condition_unmet)',
        'FAIL "anonymous UI": expected unauthenticated by rule demo-health, got unauthenticated by rule demo-ui (no_credentials)',
        '2 passed, 2 failed',
        '',
      ].join('\n'),
    );
  });

  it('prints one JSON object per case with --json', async () => {
    const dir = tempFiles({ 'cases.yaml': CASES });
    const io = captureIo();
    assert.equal(await testCommand(['--policy', DEMO_POLICY, join(dir, 'cases.yaml'), '--json'], io), 1);
    const lines = io.out().trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(lines, [
      { name: 'viewer reads', passed: true, expect: 'allow', actual: 'allow', rule: 'demo-api-read' },
      { name: 'viewer writes (wrongly expected to pass)', passed: false, expect: 'allow', actual: 'deny', rule: 'demo-api-write' },
      { name: 'anonymous UI', passed: false, expect: 'unauthenticated', actual: 'unauthenticated', rule: 'demo-ui' },
      { name: 'encoded slash', passed: true, expect: 'bad_request', actual: 'bad_request', rule: '(none)' },
    ]);
    assert.equal(io.err(), '2 passed, 2 failed\n');
  });

  it('validates the cases file with file:line:column', async () => {
    const bad = `cases:
  - name: a
    request: { method: GET, url: "/relative" }
    expect: allow
  - name: a
    request: { method: GET, url: "http://h/" }
    expect: permit
    extra: 1
  - request: { verb: GET, url: "http://h/" }
    identity: { user: bob, groups: [admins] }
    expect: deny
`;
    const dir = tempFiles({ 'cases.yaml': bad });
    const file = join(dir, 'cases.yaml');
    const io = captureIo();
    assert.equal(await testCommand(['--policy', DEMO_POLICY, file], io), 1);
    assert.equal(
      io.err(),
      [
        `${file}:3:34: cases[0] "a": request.url must be an absolute http(s) URL, got "/relative"`,
        `${file}:5:11: cases[1] "a": name must be unique, but "a" is already used by cases[0]`,
        `${file}:7:13: cases[1] "a": expect must be one of allow, deny, unauthenticated, bad_request, got "permit"`,
        `${file}:8:5: cases[1] "a": unknown key "extra" (allowed: name, request, identity, expect, rule)`,
        `${file}:9:5: cases[2]: name must be a non-empty string, got nothing`,
        `${file}:9:14: cases[2]: request.method must be an HTTP method, got nothing`,
        `${file}:9:16: cases[2]: unknown key "verb" in request (allowed: method, url)`,
        `${file}:10:37: cases[2]: identity.groups must be full group paths starting with "/", got "admins"`,
        '',
      ].join('\n'),
    );
    assert.equal(io.out(), '');
  });

  it('needs --policy and exactly one cases file (exit 2)', async () => {
    for (const argv of [[], ['--policy', DEMO_POLICY], ['a.yaml', 'b.yaml', '--policy', DEMO_POLICY]]) {
      const io = captureIo();
      assert.equal(await testCommand(argv, io), 2, JSON.stringify(argv));
      assert.match(io.err(), /usage: keygate test --policy FILE CASES\.yaml \[--json\]/);
    }
  });

  it('fails on an invalid policy without running cases', async () => {
    const dir = tempFiles({ 'p.yaml': 'version: 2\nrules: []\n', 'c.yaml': CASES });
    const io = captureIo();
    assert.equal(await testCommand(['--policy', join(dir, 'p.yaml'), join(dir, 'c.yaml')], io), 1);
    assert.match(io.err(), /p\.yaml:1:10: version must be 1, got 2\n/);
    assert.equal(io.out(), '');
  });
});
