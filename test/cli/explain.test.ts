import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { explainCommand } from '../../src/cli/explain.js';
import { captureIo, ROOT } from './support.js';

const DEMO = join(ROOT, 'examples', 'demo', 'policy.yaml');

describe('keygate explain', () => {
  it('prints the deciding rule and why each earlier rule did not match', async () => {
    const io = captureIo();
    const code = await explainCommand(['--policy', DEMO, '--method', 'POST', '--url', 'http://LocalHost:8080/api/items?x=1', '--user', 'alice', '--roles', 'viewer'], io);
    assert.equal(code, 0);
    assert.equal(
      io.out(),
      [
        'decision: deny (condition_unmet)',
        `rule: rules[2] "demo-api-write" at ${DEMO}:24:5`,
        'request: POST localhost /api/items',
        'identity: alice (roles: viewer; groups: none; scopes: none)',
        'why: no condition block held (one block; each needs every key to hold)',
        '  allow[0].anyRole [engineer, admin]: failed',
        'earlier rules that did not match:',
        '  rules[0] "demo-health": method POST is not in [GET]; path "/api/items" matches none of [/health]',
        '  rules[1] "demo-admin": path "/api/items" matches none of [/admin/**]',
        '',
      ].join('\n'),
    );
  });

  it('explains an allow by the first rule', async () => {
    const io = captureIo();
    assert.equal(await explainCommand(['--policy', DEMO, '--method', 'get', '--url', 'https://demo.test/health', '--anonymous'], io), 0);
    assert.match(io.out(), /^decision: allow \(public\)\nrule: rules\[0\] "demo-health" at .*:12:5\n/);
    assert.match(io.out(), /\nearlier rules: none\n$/);
  });

  it('resolves dot segments like the service (/api/../admin is /admin)', async () => {
    const io = captureIo();
    assert.equal(await explainCommand(['--policy', DEMO, '--method', 'GET', '--url', 'http://h/api/../admin/x', '--user', 'carol', '--roles', 'admin', '--groups', '/platform/admins'], io), 0);
    assert.match(io.out(), /^decision: allow \(condition_met\)\nrule: rules\[1\] "demo-admin"/);
    assert.match(io.out(), /\nrequest: GET h \/admin\/x\n/);
  });

  it('answers bad_request for an ambiguous path', async () => {
    const io = captureIo();
    assert.equal(await explainCommand(['--policy', DEMO, '--method', 'GET', '--url', 'http://h/a%2Fb'], io), 0);
    assert.equal(io.out(), 'decision: bad_request (bad_target)\nwhy: the path is ambiguous and is refused before any rule: encoded slash "%2F" at offset 2\n');
  });

  it('prints one JSON object with --json', async () => {
    const io = captureIo();
    assert.equal(await explainCommand(['--policy', DEMO, '--method', 'GET', '--url', 'http://h/dashboard', '--json'], io), 0);
    const out = JSON.parse(io.out()) as { decision: unknown; rule: { name: string }; skipped: unknown[]; identity: unknown };
    assert.deepEqual(out.decision, { kind: 'unauthenticated', rule: 'demo-ui', reason: 'no_credentials' });
    assert.equal(out.rule.name, 'demo-ui');
    assert.equal(out.skipped.length, 4);
    assert.equal(out.identity, null);
  });

  it('explains the default when no rule matches', async () => {
    const io = captureIo();
    const policy = join(ROOT, 'examples', 'prefect', 'policy.yaml');
    assert.equal(await explainCommand(['--policy', policy, '--method', 'GET', '--url', 'https://unknown.example.net/', '--user', 'x'], io), 0);
    assert.match(io.out(), /^decision: deny \(default_deny\)\nrule: \(default\): no rule matched\n/);
    assert.match(io.out(), /why: no rule matched; the policy default is deny\n/);
  });

  const usage: { name: string; input: string[]; want: RegExp }[] = [
    { name: 'missing --url', input: ['--policy', DEMO, '--method', 'GET'], want: /--policy, --method and --url are required/ },
    { name: 'a relative URL', input: ['--policy', DEMO, '--method', 'GET', '--url', '/api'], want: /url must be an absolute http\(s\) URL, got "\/api"/ },
    { name: '--anonymous with --roles', input: ['--policy', DEMO, '--method', 'GET', '--url', 'http://h/', '--anonymous', '--roles', 'a'], want: /--anonymous cannot be combined/ },
    { name: 'an unknown option', input: ['--policy', DEMO, '--verbose'], want: /usage: keygate explain/ },
  ];
  for (const { name, input, want } of usage) {
    it(`usage error (exit 2): ${name}`, async () => {
      const io = captureIo();
      assert.equal(await explainCommand(input, io), 2);
      assert.match(io.err(), want);
    });
  }
});
