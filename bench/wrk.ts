/** Runs wrk (`-t1 -c50`, the same for every scenario) with bench.lua and reads its one-line JSON summary. */
import { fileURLToPath } from 'node:url';
import { cpuSample, cpuSeconds, foreignCores, startProc } from './procs.js';

/** wrk settings shared by every scenario (the issue fixes them). */
export const WRK_THREADS = 1;
export const WRK_CONNECTIONS = 50;

const SCRIPT = fileURLToPath(new URL('../../bench/bench.lua', import.meta.url));

/** What bench.lua's done() reports. Latencies in microseconds. */
export interface WrkResult {
  readonly requests: number;
  readonly duration_us: number;
  readonly p50_us: number;
  readonly p90_us: number;
  readonly p99_us: number;
  /** p99.9 (issue 15: the tail users feel under load). */
  readonly p999_us: number;
  readonly max_us: number;
  readonly mean_us: number;
  readonly responses: number;
  readonly unexpected: number;
  readonly wrapped: number;
  readonly sent: number;
  readonly errors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number };
  readonly statuses: Readonly<Record<string, number>>;
  /** Cores' worth of CPU used outside the bench during the run (other processes, steal): a noise indicator. */
  readonly foreignCores: number;
  /** CPU time of the measured server processes per answer (µs); undefined when none were named. */
  readonly serverUs: number | undefined;
  /** The same per named process, in the order given. */
  readonly serverUsEach: readonly number[];
}

/** Requests per second of a wrk run. */
export function rps(r: WrkResult): number {
  return r.requests / (r.duration_us / 1e6);
}

/** Options of one wrk run; `env` holds the KG_* variables of bench.lua. */
export interface WrkRun {
  readonly url: string;
  readonly seconds: number;
  readonly env: Readonly<Record<string, string>>;
  /** Stop after this many responses (wrk is interrupted as soon as the script says so). */
  readonly limit?: number;
  /** Processes whose CPU time per answer is reported (the server under test, and Caddy). */
  readonly serverPids?: readonly number[];
}

/** Runs wrk once; never longer than `seconds` + 20 s. Rejects when wrk fails or prints no summary. */
export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const env = { ...process.env, ...run.env, KG_LIMIT: String(run.limit ?? 0) };
  const args = ['-t', String(WRK_THREADS), '-c', String(WRK_CONNECTIONS), '-d', `${run.seconds}s`, '--timeout', '5s', '-s', SCRIPT, run.url];
  const pids = run.serverPids ?? [];
  const serverCpu = (): number[] => pids.map((pid) => cpuSeconds(pid));
  const cpu0 = cpuSample(pids);
  const server0 = serverCpu();
  const proc = startProc('wrk', '/usr/bin/wrk', args, { env, pipeStdout: true });
  let stdout = '';
  proc.child.stdout?.on('data', (d: Buffer) => {
    const before = stdout;
    stdout += d.toString();
    // The script asks to be stopped once it has its N responses: wrk's main thread otherwise sleeps out -d.
    if (!before.includes('KGLIMIT') && stdout.includes('KGLIMIT')) proc.child.kill('SIGINT');
  });
  const hardStop = setTimeout(() => proc.child.kill('SIGKILL'), (run.seconds + 20) * 1000);
  await proc.exited;
  clearTimeout(hardStop);
  await proc.stop();
  const server = serverCpu().map((s, i) => s - (server0[i] ?? 0));
  const foreign = foreignCores(cpu0, cpuSample(pids));
  const line = /^KGBENCH (\{.*\})$/m.exec(stdout);
  if (line?.[1] === undefined) throw new Error(`wrk printed no summary (exit ${String(proc.child.exitCode)}):\n${stdout}\n${proc.output()}`);
  const r = JSON.parse(line[1]) as Omit<WrkResult, 'foreignCores' | 'serverUs' | 'serverUsEach'>;
  const each = server.map((s) => (s * 1e6) / Math.max(1, r.responses));
  return { ...r, foreignCores: foreign, serverUs: pids.length === 0 || r.responses === 0 ? undefined : each.reduce((a, b) => a + b, 0), serverUsEach: each };
}

/** Problems with a run's answers: any unexpected status, socket error or timeout. Empty = every answer as expected. */
export function answerProblems(r: WrkResult, expect: number): string[] {
  const out: string[] = [];
  if (r.unexpected > 0) {
    const other = Object.entries(r.statuses).filter(([s]) => s !== String(expect)).map(([s, n]) => `${n}× ${s}`).join(', ');
    out.push(`${r.unexpected} of ${r.responses} answers were not ${expect} (${other})`);
  }
  const e = r.errors;
  if (e.connect + e.read + e.write + e.timeout > 0) out.push(`socket errors: connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}`);
  if (r.responses === 0) out.push('no answers at all');
  return out;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] ?? Number.NaN) : ((v[mid - 1] ?? Number.NaN) + (v[mid] ?? Number.NaN)) / 2;
}

/**
 * Several runs of one load as one result: counts and durations added, CPU per answer weighted by answers,
 * latency percentiles the median of the runs' (percentiles of separate runs cannot be merged exactly).
 */
export function mergeRuns(runs: readonly WrkResult[]): WrkResult {
  const first = runs[0];
  if (first === undefined) throw new Error('mergeRuns: no runs');
  if (runs.length === 1) return first;
  const sum = (f: (r: WrkResult) => number): number => runs.reduce((a, r) => a + f(r), 0);
  const responses = sum((r) => r.responses);
  const weighted = (f: (r: WrkResult) => number | undefined): number | undefined => {
    if (runs.some((r) => f(r) === undefined) || responses === 0) return undefined;
    return sum((r) => (f(r) ?? 0) * r.responses) / responses;
  };
  const statuses: Record<string, number> = {};
  for (const r of runs) for (const [k, n] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + n;
  return {
    requests: sum((r) => r.requests), duration_us: sum((r) => r.duration_us),
    p50_us: median(runs.map((r) => r.p50_us)), p90_us: median(runs.map((r) => r.p90_us)), p99_us: median(runs.map((r) => r.p99_us)), p999_us: median(runs.map((r) => r.p999_us)),
    max_us: Math.max(...runs.map((r) => r.max_us)), mean_us: responses === 0 ? 0 : sum((r) => r.mean_us * r.responses) / responses,
    responses, unexpected: sum((r) => r.unexpected), wrapped: sum((r) => r.wrapped), sent: sum((r) => r.sent),
    errors: { connect: sum((r) => r.errors.connect), read: sum((r) => r.errors.read), write: sum((r) => r.errors.write), timeout: sum((r) => r.errors.timeout) },
    statuses, foreignCores: sum((r) => r.foreignCores) / runs.length,
    serverUs: weighted((r) => r.serverUs),
    serverUsEach: first.serverUsEach.map((_, i) => weighted((r) => r.serverUsEach[i]) ?? Number.NaN),
  };
}
