import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkCommand, setCheckConfigHook, type ConfigChecker } from '../../src/cli/check.js';
import { captureIo, ROOT, tempFiles } from './support.js';

/** Five mistakes: unknown key, bad name, bad method, uncaptured template, empty list. */
const FIVE_MISTAKES = `version: 1
rules:
  - name: health
    paths: [/health]
    allow: public
    comment: not a key
  - name: Prefect_Run
    methods: [FETCH]
    allow: public
  - name: ns
    paths: ["/ns/{ns}/**"]
    allow:
      anyRole: ["ns-{namespace}-writer"]
  - name: empty-hosts
    hosts: []
    allow: public
`;

describe('keygate check', () => {
  it('prints all five mistakes with line:column and returns 1', async () => {
    const dir = tempFiles({ 'policy.yaml': FIVE_MISTAKES });
    const io = captureIo();
    const code = await checkCommand(['--policy', join(dir, 'policy.yaml')], io);
    assert.equal(code, 1);
    const file = join(dir, 'policy.yaml');
    assert.equal(
      io.err(),
      [
        `${file}:6:5: rules[0] "health": unknown key "comment" (allowed: name, hosts, paths, methods, allow, deny, headers)`,
        `${file}:7:11: rules[1] "Prefect_Run": name must match [a-z0-9-]+ (lowercase letters, digits and "-"), got "Prefect_Run"`,
        `${file}:8:15: rules[1] "Prefect_Run": methods must be HTTP methods (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE), got "FETCH"`,
        `${file}:13:17: rules[2] "ns": allow.anyRole uses {namespace} in "ns-{namespace}-writer", but {namespace} is not captured by every path pattern of the rule (captured by all: {ns})`,
        `${file}:15:12: rules[3] "empty-hosts": hosts must not be an empty list (list at least one of host patterns ("app.example.com" or "*.example.com"), or omit the key)`,
        'policy invalid: 5 errors',
        '',
      ].join('\n'),
    );
    assert.equal(io.out(), '');
  });

  it('prints "policy OK" for a valid policy and returns 0', async () => {
    const io = captureIo();
    assert.equal(await checkCommand(['--policy', join(ROOT, 'examples', 'demo', 'policy.yaml')], io), 0);
    assert.equal(io.out(), 'policy OK: 5 rules\n');
    assert.equal(io.err(), '');
  });

  it('prints warnings but still succeeds', async () => {
    const dir = tempFiles({ 'p.yaml': 'version: 1\nrules:\n  - name: all\n    allow: public\n  - name: never\n    paths: [/x]\n    deny: true\n' });
    const io = captureIo();
    assert.equal(await checkCommand(['--policy', join(dir, 'p.yaml')], io), 0);
    assert.equal(io.err(), `warning: ${join(dir, 'p.yaml')}:5:5: rules[1] "never": never matches: rules[0] "all" comes first and matches all of its hosts, methods and paths\n`);
    assert.equal(io.out(), 'policy OK: 2 rules (1 warning)\n');
  });

  it('takes the policy from KEYGATE_POLICY when --policy is absent', async () => {
    const io = captureIo();
    assert.equal(await checkCommand([], io, { env: { KEYGATE_POLICY: join(ROOT, 'examples', 'demo', 'policy.yaml') } }), 0);
    assert.equal(io.out(), 'policy OK: 5 rules\n');
  });

  it('says when there is no policy to check (exit 2)', async () => {
    const io = captureIo();
    assert.equal(await checkCommand([], io, { env: {} }), 2);
    assert.match(io.err(), /^keygate check: no policy file: pass --policy FILE \(or set KEYGATE_POLICY\)\n/);
  });

  it('reports an unreadable policy file', async () => {
    const io = captureIo();
    assert.equal(await checkCommand(['--policy', '/nonexistent/policy.yaml'], io, { env: {} }), 1);
    assert.match(io.err(), /^\/nonexistent\/policy\.yaml: cannot read the policy: ENOENT\n/);
  });

  it('rejects unknown options with usage (exit 2)', async () => {
    const io = captureIo();
    assert.equal(await checkCommand(['--polcy', 'x'], io), 2);
    assert.match(io.err(), /usage: keygate check/);
  });

  it('runs the config hook: its problems count, and it may name the policy', async () => {
    const policy = join(ROOT, 'examples', 'demo', 'policy.yaml');
    const hook: ConfigChecker = (configFile) => ({
      result: { errors: [{ source: { kind: 'env', variable: 'KEYGATE_ISSUER' }, path: '', message: `must be set (config ${configFile ?? '-'})` }], warnings: [] },
      policyFile: policy,
    });
    const io = captureIo();
    assert.equal(await checkCommand(['--config', 'k.yaml'], io, { checkConfig: hook, env: {} }), 1);
    assert.equal(io.err(), '$KEYGATE_ISSUER: must be set (config k.yaml)\nconfig invalid: 1 error\n');
    assert.equal(io.out(), 'policy OK: 5 rules\n');

    setCheckConfigHook(() => ({ result: { errors: [], warnings: [] }, policyFile: policy }));
    try {
      const io2 = captureIo();
      assert.equal(await checkCommand([], io2, { env: {} }), 0);
      assert.equal(io2.out(), 'config OK\npolicy OK: 5 rules\n');
    } finally {
      setCheckConfigHook(undefined);
    }
  });

  it('checks the policy alone when only --policy is given, even with a hook', async () => {
    let called = false;
    const io = captureIo();
    const hook: ConfigChecker = () => {
      called = true;
      return { result: { errors: [], warnings: [] }, policyFile: undefined };
    };
    assert.equal(await checkCommand(['--policy', join(ROOT, 'examples', 'demo', 'policy.yaml')], io, { checkConfig: hook, env: {} }), 0);
    assert.equal(called, false);
  });

  it('without a hook, says that --config was not checked', async () => {
    const io = captureIo();
    assert.equal(await checkCommand(['--config', 'k.yaml', '--policy', join(ROOT, 'examples', 'demo', 'policy.yaml')], io, { env: {} }), 0);
    assert.equal(io.err(), 'keygate check: config checking is not available in this build; k.yaml was not checked\n');
  });
});
