/**
 * A real `keygate serve` whose stdout nobody reads (issue 17 point 6): it keeps answering while its audit lines queue
 * up, and after SIGTERM every decision's line reaches stdout before the process exits.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { sample, testEnv } from '../support/keygate.js';
import { freePort, tempDir } from '../support/proc.js';
import { readUntilExit } from '../support/unread-stdout.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';

const BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** About 1 MB of audit lines: far more than a pipe (64 KiB) and the reader's own buffer hold. */
const DECISIONS = 4000;
const CONCURRENCY = 16;
const PUBLIC = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': APP_HOST, 'x-forwarded-uri': '/api/health' };

let idp: KeycloakLookalike;
before(async () => { idp = await startTestIdp(); });
after(async () => { await idp.close(); });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One GET: its status and body, or the connection error's code. */
function get(port: number, path: string, headers: Record<string, string> = {}, agent: Agent | false = false): Promise<{ status: number | string; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('ETIMEDOUT')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? err.message, body: '' }));
    req.end();
  });
}

describe('audit lines with stdout unread (issue 17 point 6)', () => {
  it('keygate answers while stdout is full, and SIGTERM writes every decision line before exiting', { timeout: 60_000 }, async () => {
    const dir = tempDir('keygate-logflush-');
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, APP_POLICY);
    const port = await freePort();
    const env = { PATH: process.env['PATH'] ?? '', ...testEnv(idp.issuer, policy, port, {
      KEYGATE_SHUTDOWN_DRAIN_DELAY_SECONDS: '0', KEYGATE_SHUTDOWN_GRACE_SECONDS: '5', KEYGATE_LOG_LEVEL: 'info',
    }) };
    const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    try {
      const deadline = Date.now() + 10_000;
      while ((await get(port, '/readyz')).status !== 200) {
        assert.ok(Date.now() < deadline, `never ready:\n${stderr}`);
        await sleep(100);
      }
      let sent = 0;
      const statuses = new Map<number | string, number>();
      // A logger that blocks on the full pipe stops answering: the load gives up after 20 s instead of hanging.
      const loadDeadline = Date.now() + 20_000;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (sent < DECISIONS && Date.now() < loadDeadline) {
          sent++;
          const { status } = await get(port, '/auth', PUBLIC, agent);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }));
      assert.deepEqual([...statuses], [[200, DECISIONS]]);
      const t0 = performance.now();
      assert.equal((await get(port, '/healthz')).status, 200);
      assert.ok(performance.now() - t0 < 1000, `healthz took ${(performance.now() - t0).toFixed(0)} ms with stdout full`);
      assert.equal(sample((await get(port, '/metrics')).body, 'keygate_log_lines_dropped_total'), 0, 'nothing dropped: the queue holds them');

      child.kill('SIGTERM');
      await sleep(500);
      assert.equal(child.exitCode, null, 'keygate waits for its stdout before exiting');
      const { lines: text, code } = await readUntilExit(child);
      assert.equal(code, 0, stderr);
      const lines = text.map((l) => JSON.parse(l) as Record<string, unknown>);
      const decisions = lines.filter((l) => l['msg'] === 'decision');
      assert.equal(decisions.length, DECISIONS, 'one audit line per decision, none lost');
      assert.ok(decisions.every((d) => d['level'] === 'info' && d['status'] === 200 && d['rule'] === 'health' && typeof d['time'] === 'string'));
      assert.deepEqual(lines.slice(-1).map((l) => l['msg']), ['listener closed; every in-flight request was answered'], 'the last line of the shutdown is there too');
      assert.doesNotMatch(stderr, /log lines? dropped/);
    } finally {
      agent.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
