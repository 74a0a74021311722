import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent, request, type ClientRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { testEnv } from '../support/keygate.js';
import { freePort, tempDir } from '../support/proc.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';

const BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const DRAIN_SECONDS = 1;
const GRACE_SECONDS = 5;
const FORWARDED = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': APP_HOST, 'x-forwarded-uri': '/api/flows', accept: 'application/json' };

let idp: KeycloakLookalike;
before(async () => { idp = await startTestIdp(); });
after(async () => { await idp.close(); });

/** One GET; resolves to the status, or to the error code when the connection failed. */
function get(port: number, path: string, headers: Record<string, string> = {}, agent: Agent | false = false): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/**
 * A request to /auth whose chunked body is only half sent: keygate reads a chunked body (bounded) before deciding, so
 * the decision stays in flight until `finish`.
 */
function slowRequest(port: number): { req: ClientRequest; answer: Promise<number | string>; finish: () => void } {
  const req = request({ host: '127.0.0.1', port, path: '/auth', method: 'POST', headers: { ...FORWARDED, 'transfer-encoding': 'chunked' }, agent: false });
  const answer = new Promise<number | string>((resolve) => {
    req.on('response', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  req.write(Buffer.alloc(50, 0x61));
  return { req, answer, finish: () => req.end(Buffer.alloc(50, 0x61)) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('graceful shutdown on SIGTERM (issue #12 point 8)', () => {
  it('readiness turns 503 first, the listener drains, every in-flight decision is answered, and the process exits 0 in time', async () => {
    const dir = tempDir('keygate-shutdown-');
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, APP_POLICY);
    const port = await freePort();
    const env = { PATH: process.env['PATH'] ?? '', ...testEnv(idp.issuer, policy, port, {
      KEYGATE_SHUTDOWN_DRAIN_DELAY_SECONDS: String(DRAIN_SECONDS), KEYGATE_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS), KEYGATE_LOG_LEVEL: 'info',
    }) };
    const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const deadline = Date.now() + 10_000;
      while ((await get(port, '/readyz')) !== 200) {
        assert.ok(Date.now() < deadline, `never ready:\n${output}`);
        await sleep(100);
      }
      // Open keep-alive connections before the signal, as a proxy holds them.
      assert.deepEqual(await Promise.all(Array.from({ length: 8 }, () => get(port, '/auth', FORWARDED, agent))), Array(8).fill(401));
      const slow = slowRequest(port);
      await sleep(100);
      let early: number | string | undefined;
      void slow.answer.then((a) => { early = a; });

      const signalled = Date.now();
      child.kill('SIGTERM');
      await sleep(100);
      assert.equal(await get(port, '/readyz'), 503, 'readiness turns 503 at once, while the listener still answers');
      const duringDrain = await Promise.all(Array.from({ length: 40 }, () => get(port, '/auth', FORWARDED, agent)));
      assert.deepEqual(duringDrain, Array(40).fill(401), 'decisions during the drain delay are answered as usual');

      await sleep(DRAIN_SECONDS * 1000 + 400 - (Date.now() - signalled));
      assert.equal(await get(port, '/auth', FORWARDED), 'ECONNREFUSED', 'after the drain delay the listener is closed');
      assert.equal(early, undefined, 'the slow decision is still in flight after the listener closed');
      slow.finish();
      assert.equal(await slow.answer, 401, 'the request in flight across the close is answered');

      const code = await Promise.race([exited, sleep((DRAIN_SECONDS + GRACE_SECONDS) * 1000).then(() => 'timeout' as const)]);
      assert.equal(code, 0, `exit code:\n${output}`);
      assert.ok(Date.now() - signalled < (DRAIN_SECONDS + GRACE_SECONDS) * 1000, 'exits within drain delay + grace');
      assert.match(output, /"msg":"listener closed; every in-flight request was answered"/);
    } finally {
      agent.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
