import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { formatProblem } from '../../src/util/problems.js';
import { SESSION_SECRET } from './support.js';

let dir = '';
const CONFIG = ['issuer: https://keycloak.example.com/realms/acme', 'clientId: keygate', 'authorizedParties: [keygate]', 'policyFile: policy.yaml', 'port: 5000', ''].join('\n');

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'keygate-config-'));
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'keygate.yaml'), CONFIG);
  writeFileSync(join(dir, 'broken.yaml'), 'port: [1, 2\n');
  writeFileSync(join(dir, 'secrets', 'client-secret'), 'file-client-secret\n');
  writeFileSync(join(dir, 'secrets', 'session-secrets'), `${SESSION_SECRET}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Environment with the secrets as mounted files. */
function secretsEnv(): NodeJS.ProcessEnv {
  return { KEYGATE_CLIENT_SECRET_FILE: join(dir, 'secrets', 'client-secret'), KEYGATE_SESSION_SECRETS_FILE: join(dir, 'secrets', 'session-secrets') };
}

describe('loadConfig: sources', () => {
  it('reads --config and *_FILE secrets from disk', () => {
    const r = loadConfig({ configFile: join(dir, 'keygate.yaml'), env: secretsEnv() });
    assert.deepEqual(r.errors, []);
    assert.equal(r.value?.clientSecret, 'file-client-secret');
    assert.deepEqual(r.value?.sessionSecrets, [SESSION_SECRET]);
    assert.equal(r.value?.port, 5000);
    assert.equal(r.value?.policyFile, join(dir, 'policy.yaml'));
  });

  it('reads KEYGATE_CONFIG when there is no --config, and the environment wins', () => {
    const r = loadConfig({ env: { ...secretsEnv(), KEYGATE_CONFIG: join(dir, 'keygate.yaml'), KEYGATE_PORT: '6000' } });
    assert.equal(r.value?.port, 6000);
  });

  it('prefers --config over KEYGATE_CONFIG', () => {
    const r = loadConfig({ configFile: join(dir, 'keygate.yaml'), env: { ...secretsEnv(), KEYGATE_CONFIG: join(dir, 'missing.yaml') } });
    assert.deepEqual(r.errors, []);
  });

  it('works from the environment alone', () => {
    const env = { ...secretsEnv(), KEYGATE_ISSUER: 'https://kc.example.com/realms/a', KEYGATE_CLIENT_ID: 'c', KEYGATE_AUDIENCES: 'api', KEYGATE_POLICY: 'p.yaml' };
    assert.deepEqual(loadConfig({ env }).errors, []);
  });

});

describe('loadConfig: problems', () => {
  it('reports an unreadable --config file at the file', () => {
    const file = join(dir, 'missing.yaml');
    const r = loadConfig({ configFile: file, env: {} });
    assert.deepEqual(r.errors.map(formatProblem), [`${file}:1:1: cannot read the config file: ENOENT: no such file or directory`]);
  });

  it('reports an unreadable KEYGATE_CONFIG file at the variable', () => {
    const file = join(dir, 'missing.yaml');
    const r = loadConfig({ env: { KEYGATE_CONFIG: file } });
    assert.deepEqual(r.errors.map(formatProblem), [`$KEYGATE_CONFIG: cannot read ${JSON.stringify(file)}: ENOENT: no such file or directory`]);
  });

  it('reports a directory given as config file without throwing', () => {
    const r = loadConfig({ configFile: dir, env: {} });
    assert.deepEqual(r.errors.map(formatProblem), [`${dir}:1:1: cannot read the config file: EISDIR: illegal operation on a directory`]);
  });

  it('reports YAML syntax errors with their position', () => {
    const file = join(dir, 'broken.yaml');
    const r = loadConfig({ configFile: file, env: secretsEnv() });
    assert.equal(r.value, undefined);
    assert.equal(r.errors.length, 1);
    assert.match(formatProblem(r.errors[0]!), new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML syntax: `));
  });

  it('reports an unreadable *_FILE with the variable and path', () => {
    const r = loadConfig({ configFile: join(dir, 'keygate.yaml'), env: { ...secretsEnv(), KEYGATE_CLIENT_SECRET_FILE: join(dir, 'secrets', 'nope') } });
    assert.deepEqual(r.errors.map(formatProblem), [`$KEYGATE_CLIENT_SECRET_FILE: cannot read ${JSON.stringify(join(dir, 'secrets', 'nope'))}: ENOENT: no such file or directory`]);
  });
});
