/** Child processes of the bench: every one is tracked and stopped on success, failure, Ctrl-C or exit. */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root (the bench runs from dist/bench). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A tracked child process. */
export interface BenchProc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** stderr (and stdout when piped) collected so far, for failure messages. */
  output(): string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<BenchProc>();

process.on('exit', () => {
  for (const p of running) p.child.kill('SIGKILL');
});

/** Stops every process still running (SIGTERM, then SIGKILL after 3 s). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Spawns a tracked process. stdout goes to /dev/null unless `pipeStdout`; stderr is always collected. */
export function startProc(name: string, cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; pipeStdout?: boolean; ownGroup?: boolean } = {}): BenchProc {
  const stdio: StdioOptions = ['ignore', opts.pipeStdout === true ? 'pipe' : 'ignore', 'pipe'];
  // ownGroup: Apache's prefork MPM sends SIGTERM to its whole process group when it stops, which would include the bench.
  const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd ?? ROOT, stdio, detached: opts.ownGroup === true });
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${cmd}`);
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: BenchProc = {
    name, child, pid: child.pid, exited,
    output: () => out,
    async stop() {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(force);
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Starts a node entry from dist/bench and waits for its `ready <port>` line on stdout. */
export async function startNodeServer(name: string, entry: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, nodeArgs: readonly string[] = []): Promise<{ proc: BenchProc; port: number }> {
  const script = fileURLToPath(new URL(`./${entry}`, import.meta.url));
  const proc = startProc(name, process.execPath, [...nodeArgs, script, ...args], { env, pipeStdout: true });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 20 s:\n${proc.output()}`)), 20_000);
    let seen = '';
    proc.child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = /^ready (\d+)$/m.exec(seen);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void proc.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready:\n${proc.output()}`));
    });
  });
  return { proc, port };
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

const HZ = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

/** CPU time (s) a process has used: user + system, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSeconds(pid: number, withReapedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const own = (f[11] ?? 0) + (f[12] ?? 0);
    return (withReapedChildren ? own + (f[13] ?? 0) + (f[14] ?? 0) : own) / HZ;
  } catch {
    return 0;
  }
}

/** Machine-wide CPU seconds in user/system (all cores) and stolen by the hypervisor, plus the bench's own share. */
export interface CpuSample {
  readonly at: number;
  readonly busy: number;
  readonly steal: number;
  readonly ours: number;
}

/** Samples CPU use now. `ours` = this process and its reaped children + every running bench process + `extra` (e.g. Apache's children). */
export function cpuSample(extra: readonly number[] = []): CpuSample {
  const f = (/^cpu\s+(.*)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '').split(/\s+/).map(Number);
  const busy = ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0)) / HZ;
  let ours = cpuSeconds(process.pid, true);
  const pids = new Set([...[...running].map((p) => p.pid), ...extra]);
  for (const pid of pids) ours += cpuSeconds(pid);
  return { at: performance.now(), busy, steal: (f[7] ?? 0) / HZ, ours };
}

/** Cores' worth of CPU used by anything outside the bench (other processes, hypervisor steal) between two samples. */
export function foreignCores(a: CpuSample, b: CpuSample): number {
  const seconds = (b.at - a.at) / 1000;
  return Math.max(0, (b.busy - a.busy) - (b.ours - a.ours) + (b.steal - a.steal)) / seconds;
}

/** Polls `url` until it answers with `status` or the deadline passes. */
export async function waitForStatus(url: string, status: number, proc: BenchProc, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}) before ${url} answered:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000), redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status === status) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (${last}):\n${proc.output()}`);
}
