/**
 * The log sink against a real full pipe (issue 17 point 6), in a child process whose stdout the test does not read
 * for a while: lines queued when it crashes all arrive; with a bounded queue the process keeps answering, and every
 * line either arrives or is counted in keygate_log_lines_dropped_total.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { sample } from '../support/keygate.js';
import { readUntilExit } from '../support/unread-stdout.js';

const CHILD = fileURLToPath(new URL('../support/log-child.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A child whose stdout is not read until `read()`. */
function spawnUnread(args: string[]): { child: ChildProcess; stderr: () => string; read: () => Promise<{ lines: string[]; code: number | null }> } {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pause();
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return { child, stderr: () => err, read: () => readUntilExit(child, 20_000) };
}

/** The `n` field of each line, checking that every line is one JSON object. */
function numbers(lines: string[]): number[] {
  return lines.map((l) => (JSON.parse(l) as { n: number }).n);
}

describe('log sink: a full stdout pipe', () => {
  it('an uncaught exception still writes every queued line (20,000 lines, pipe unread until the crash)', async () => {
    const N = 20_000;
    const p = spawnUnread(['crash', String(N)]);
    await sleep(1500);
    // The pipe holds far less than 20,000 lines: the child can only be waiting in its exit flush.
    assert.equal(p.child.exitCode, null, `the child exited while its stdout was full:\n${p.stderr()}`);
    const { lines, code } = await p.read();
    assert.equal(code, 1, p.stderr());
    assert.match(p.stderr(), /log-child: deliberate crash/);
    assert.deepEqual(numbers(lines), Array.from({ length: N }, (_, i) => i), 'every line, once, in order');
  });

  it('a bounded queue: the process stays responsive, and arrived + counted as dropped = logged', async () => {
    const N = 20_000;
    const p = spawnUnread(['serve', String(256 * 1024)]);
    try {
      const deadline = Date.now() + 10_000;
      while (!/port \d+/.test(p.stderr())) {
        assert.ok(Date.now() < deadline, `no port:\n${p.stderr()}`);
        await sleep(50);
      }
      const base = `http://127.0.0.1:${/port (\d+)/.exec(p.stderr())?.[1] ?? ''}`;
      assert.equal(await (await fetch(`${base}/log?n=${N}`)).text(), String(N));
      // The sink retries the full pipe from a timer: between retries the loop answers at once.
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        assert.equal((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) })).status, 200);
        assert.ok(performance.now() - t0 < 500, `healthz took ${(performance.now() - t0).toFixed(0)} ms with stdout full`);
        await sleep(30);
      }
      const dropped = sample(await (await fetch(`${base}/metrics`)).text(), 'keygate_log_lines_dropped_total');
      assert.ok(dropped > 0 && dropped < N, `dropped ${dropped} of ${N}: the 256 Ki-character queue must overflow, and keep some`);
      p.child.kill('SIGTERM');
      const { lines, code } = await p.read();
      assert.equal(code, 0, p.stderr());
      const got = numbers(lines);
      assert.equal(got.length + dropped, N, `${got.length} arrived + ${dropped} dropped`);
      assert.ok(got.every((n, i) => i === 0 || n > (got[i - 1] as number)), 'lines arrive in order, none twice');
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });
});
