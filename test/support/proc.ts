/** Process helpers for tests: free ports, spawned binaries that are always stopped, loud skips for missing binaries. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'keygate-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Full path of a binary from PATH or /usr/sbin, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin']) {
    const p = join(dir, name);
    if (dir !== '' && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Skips the test with a loud banner, or fails it when E2E_REQUIRED=1 (as in CI), so a test that cannot run
 * never silently proves nothing.
 */
export function skipLoudly(t: TestContext, msg: string): void {
  if (process.env['E2E_REQUIRED'] === '1') throw new Error(`E2E_REQUIRED=1: ${msg}`);
  process.stderr.write(`\n!!!!!!!! SKIPPED: ${msg} !!!!!!!!\n\n`);
  t.skip(`SKIPPED: ${msg}`);
}

/** The binary's path; when it is missing, skipLoudly (a failure under E2E_REQUIRED=1). */
export function requireBinary(t: TestContext, name: string, pkg = name): string | undefined {
  const p = findBinary(name);
  if (p === undefined) skipLoudly(t, `${name} is not installed (apt-get install ${pkg}); this end-to-end test cannot run`);
  return p;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** A spawned process and its collected output. */
export interface Proc {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Spawns a process, collecting stdout+stderr; it is killed when the test process exits. */
export function startProcess(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Proc {
  const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => { running.delete(child); r(); }));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Polls `url` until it answers (any status) or the deadline passes. */
export async function waitForHttp(url: string, proc?: Proc, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) throw new Error(`process exited (${proc.child.exitCode}) before ${url} answered:\n${proc.output()}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000), redirect: 'manual' });
      return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})${proc ? `\n${proc.output()}` : ''}`);
}
