/** `keygate check --realm` (issue 13): role and group values no realm export defines are warned about, patterns included. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkCommand, type ConfigChecker } from '../../src/cli/check.js';
import { captureIo, ROOT, tempFiles } from './support.js';

const REALM = JSON.stringify({
  realm: 'acme',
  roles: { realm: [{ name: 'argo-admin' }, { name: 'argo-team-a-viewer' }], client: { prefect: [{ name: 'operator' }] } },
  groups: [{ name: 'teams', subGroups: [{ name: 'data', subGroups: [{ name: 'admins' }] }] }],
});

const policyWith = (allow: string): string => `version: 1\nrules:\n  - name: r\n    paths: ["/ns/{ns}/**"]\n    allow: ${allow}\n`;

describe('keygate check --realm', () => {
  const table: { name: string; input: string; want: string[] }[] = [
    { name: 'defined realm role, client role and group: no warning', input: policyWith('{ anyRole: [argo-admin, "prefect:operator"], anyGroup: [/teams/data/admins] }'), want: [] },
    { name: 'a typo is warned about, with the closest role', input: policyWith('{ anyRole: [argo-admn] }'), want: ['allow.anyRole "argo-admn" matches no role (realm role or client:role) of REALM: nobody can hold it (did you mean "argo-admin"?)'] },
    { name: 'a pattern matching a realm role: no warning', input: policyWith('{ anyRole: ["argo-*-viewer"] }'), want: [] },
    { name: 'a pattern matching nothing', input: policyWith('{ anyRole: ["argo-*-editor"] }'), want: ['allow.anyRole "argo-*-editor" matches no role (realm role or client:role) of REALM: nobody can hold it'] },
    { name: 'a realm-role pattern does not count a client role', input: policyWith('{ anyRole: ["*operator"] }'), want: ['allow.anyRole "*operator" matches no role (realm role or client:role) of REALM: nobody can hold it'] },
    { name: 'a capture stands for any name', input: policyWith('{ anyRole: ["argo-{ns}-viewer"] }'), want: [] },
    { name: 'a group pattern', input: policyWith('{ anyGroup: ["/teams/*/admins"] }'), want: [] },
    { name: 'a missing group, in the second block', input: policyWith('[{ anyRole: [argo-admin] }, { anyGroup: [/teams/ops] }]'), want: ['allow[1].anyGroup "/teams/ops" matches no group of REALM: nobody can hold it'] },
  ];
  for (const { name, input, want } of table) {
    it(name, async () => {
      const dir = tempFiles({ 'policy.yaml': input, 'realm.json': REALM });
      const io = captureIo();
      const code = await checkCommand(['--policy', join(dir, 'policy.yaml'), '--realm', join(dir, 'realm.json')], io);
      assert.equal(code, 0);
      const prefix = `warning: ${join(dir, 'policy.yaml')}:3:5: rules[0] "r": `;
      const lines = io.err().split('\n').filter((l) => l !== '');
      assert.deepEqual(lines, want.map((w) => prefix + w.replace('REALM', join(dir, 'realm.json'))));
      assert.match(io.out(), want.length === 0 ? /policy OK: 1 rule\n$/ : /policy OK: 1 rule \(1 warning\)\n$/);
    });
  }

  it('an unreadable realm export is an error (exit 1)', async () => {
    const dir = tempFiles({ 'policy.yaml': policyWith('authenticated'), 'realm.json': '{ not json' });
    const io = captureIo();
    assert.equal(await checkCommand(['--policy', join(dir, 'policy.yaml'), '--realm', join(dir, 'realm.json')], io), 1);
    assert.match(io.err(), /realm\.json: cannot read the realm export: /);
  });

  it('the shipped examples name only roles and groups their realm exports define', async () => {
    for (const ex of ['argo-workflows', 'temporal-ui', 'prefect']) {
      const io = captureIo();
      const code = await checkCommand(['--policy', join(ROOT, 'examples', ex, 'policy.yaml'), '--realm', join(ROOT, 'examples', ex, 'realm.json')], io);
      assert.equal(code, 0, io.err());
      assert.equal(io.err(), '', ex);
    }
  });
});

describe('keygate check --config with other errors still checks its policy', () => {
  const failing: ConfigChecker = () => ({ result: { errors: [{ source: { kind: 'file', file: 'k.yaml', line: 1, column: 1 }, path: 'issuer', message: 'is required' }], warnings: [] }, policyFile: undefined });

  it('checks policyFile of the YAML file, relative to it, and reports both', async () => {
    const dir = tempFiles({ 'keygate.yaml': 'policyFile: policy.yaml\nport: nope\n', 'policy.yaml': 'version: 1\nrules:\n  - name: a\n    methods: [FETCH]\n    allow: public\n' });
    const io = captureIo();
    const code = await checkCommand(['--config', join(dir, 'keygate.yaml')], io, { checkConfig: failing, env: {} });
    assert.equal(code, 1);
    assert.match(io.err(), /config invalid: 1 error/);
    assert.match(io.err(), /policy\.yaml:4:15: rules\[0\] "a": methods must be HTTP methods/);
    assert.doesNotMatch(io.err(), /no policy file/);
  });

  it('a valid policy is reported OK, and the exit code still says the config failed', async () => {
    const dir = tempFiles({ 'keygate.yaml': 'policyFile: policy.yaml\n', 'policy.yaml': 'version: 1\nrules:\n  - name: a\n    allow: public\n' });
    const io = captureIo();
    assert.equal(await checkCommand(['--config', join(dir, 'keygate.yaml')], io, { checkConfig: failing, env: {} }), 1);
    assert.match(io.out(), /policy OK: 1 rule/);
  });

  it('$KEYGATE_POLICY wins over the file, as in serve', async () => {
    const dir = tempFiles({ 'keygate.yaml': 'policyFile: missing.yaml\n', 'other.yaml': 'version: 1\nrules:\n  - name: a\n    allow: public\n' });
    const io = captureIo();
    await checkCommand(['--config', join(dir, 'keygate.yaml')], io, { checkConfig: failing, env: { KEYGATE_POLICY: join(dir, 'other.yaml') } });
    assert.match(io.out(), /policy OK: 1 rule/);
  });
});
