import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, tempDir } from '../support/proc.js';
import { hasStackTrace, runBin, takenPort } from './run-bin.js';

const dir = tempDir('keygate-startup-');
const policy = join(dir, 'policy.yaml');
writeFileSync(policy, 'version: 1\ndefault: deny\nrules:\n  - name: everyone\n    allow: authenticated\n');

/** A serve environment whose Keycloak never answers (port 1 refuses): the old code kept retrying it forever, so it never exited. */
function env(over: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '',
    KEYGATE_ISSUER: 'http://127.0.0.1:1/realms/acme', KEYGATE_ALLOW_INSECURE_ISSUER: 'true',
    KEYGATE_CLIENT_ID: 'keygate', KEYGATE_CLIENT_SECRET: 'keygate-secret', KEYGATE_AUTHORIZED_PARTIES: 'keygate',
    KEYGATE_SESSION_SECRETS: 'test-session-secret-0123456789abcdef', KEYGATE_POLICY: policy, KEYGATE_HOST: '127.0.0.1',
    ...over,
  };
}

const held: Array<() => Promise<void>> = [];
after(async () => { for (const r of held) await r(); });

describe('keygate serve: a listen error stops startup at once (issue #12 point 3)', () => {
  it('exits 1 at once (well within 10 s, on a loaded machine) when port is taken, naming the address, EADDRINUSE and the setting', async () => {
    const taken = await takenPort();
    held.push(taken.release);
    const r = await runBin(['serve'], env({ KEYGATE_PORT: String(taken.port) }), 15_000);
    assert.equal(r.code, 1, `still running after the deadline or wrong code:\n${r.stderr}`);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    assert.match(r.stderr, new RegExp(`^keygate: failed to start: cannot listen on 127\\.0\\.0\\.1:${taken.port} \\(port\\): the address is already in use \\(EADDRINUSE\\); stop the other process or choose another port with port / \\$KEYGATE_PORT$`, 'm'));
    assert.equal(hasStackTrace(r.stderr), false, r.stderr);
  });

  it('exits 1 at once when metricsPort is taken, naming metricsPort', async () => {
    const taken = await takenPort();
    held.push(taken.release);
    const r = await runBin(['serve'], env({ KEYGATE_PORT: String(await freePort()), KEYGATE_METRICS_PORT: String(taken.port) }), 15_000);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken.port} \\(metricsPort\\): the address is already in use \\(EADDRINUSE\\); stop the other process or choose another port with metricsPort / \\$KEYGATE_METRICS_PORT$`, 'm'));
    assert.equal(hasStackTrace(r.stderr), false, r.stderr);
  });

  it('an invalid policy, found after the port is bound, still exits 1 at once and frees the port', async () => {
    const bad = join(dir, 'bad-policy.yaml');
    writeFileSync(bad, 'version: 1\nrules:\n  - name: Bad_Name\n    allow: public\n');
    const port = await freePort();
    const r = await runBin(['serve'], env({ KEYGATE_PORT: String(port), KEYGATE_POLICY: bad }), 15_000);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    assert.match(r.stderr, /^keygate: the policy is invalid/m);
    assert.match(r.stderr, /rules\[0\] "Bad_Name": name must match \[a-z0-9-\]\+/);
    const probe = createServer();
    await new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.listen(port, '127.0.0.1', () => resolve()); });
    await new Promise((r) => probe.close(r));
  });

  it('exits 1 on an address that is not on this machine (EADDRNOTAVAIL), naming host', async () => {
    const r = await runBin(['serve'], env({ KEYGATE_PORT: String(await freePort()), KEYGATE_HOST: '192.0.2.1' }), 15_000);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot listen on 192\.0\.2\.1:\d+ \(port\): the address is not available on this machine \(EADDRNOTAVAIL\); set host \/ \$KEYGATE_HOST/);
  });
});
