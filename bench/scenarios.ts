/** The HTTP scenarios: each is a warm-up plus one bounded wrk run, every answer checked, turned into a table row. */
import { answerProblems, rps, runWrk, type WrkResult } from './wrk.js';
import type { Row, Verdict } from './report.js';

/** A scenario whose answers were not all as expected (or that could not run): shown as ERROR, fails the run. */
export class ScenarioError extends Error {}

/** Files and servers shared by the scenarios. */
export interface BenchFiles {
  readonly warmTokens: string;
  readonly denyTokens: string;
  readonly coldA: string;
  readonly coldB: string;
  readonly middleTargets: string;
  readonly largeTargets: string;
  readonly jwks: string;
}

/** What one measurement needs: where, how long, the bench.lua variables and the only acceptable status. */
export interface Load {
  readonly url: string;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly env: Readonly<Record<string, string>>;
  readonly expect: number;
  /** The server process(es) whose CPU per answer is reported. */
  readonly serverPids: readonly number[];
}

const CLEAR: Readonly<Record<string, string>> = {
  KG_MODE: 'forward', KG_PATH: '/auth', KG_TARGETS: '', KG_HOST: '', KG_URI: '', KG_TOKENS: '', KG_CRED_HEADER: '', KG_CRED_PREFIX: '', KG_OFFSET: '0',
};

/** bench.lua variables: every KG_* set (no leftovers from the caller's environment). */
export function luaEnv(vars: Readonly<Record<string, string>>, expect: number): Record<string, string> {
  return { ...CLEAR, ...vars, KG_EXPECT: String(expect) };
}

/** Throws ScenarioError when any answer of `r` was not `expect`. */
export function assertAnswers(what: string, r: WrkResult, expect: number): void {
  const problems = answerProblems(r, expect);
  if (problems.length > 0) throw new ScenarioError(`${what}: ${problems.join('; ')}`);
}

/** Warm-up, then the measured run, with the same script and settings; both runs' answers are checked. */
export async function measure(what: string, load: Load): Promise<WrkResult> {
  const env = luaEnv(load.env, load.expect);
  assertAnswers(`${what} (warm-up)`, await runWrk({ url: load.url, seconds: load.warmupSeconds, env }), load.expect);
  const r = await runWrk({ url: load.url, seconds: load.seconds, env, serverPids: load.serverPids });
  assertAnswers(what, r, load.expect);
  return r;
}

/** Milliseconds from wrk's microseconds. */
export function ms(us: number): number {
  return us / 1000;
}

/** A row for an HTTP scenario compared with the bare baseline. */
export function httpRow(scenario: string, r: WrkResult, bare: WrkResult | undefined, target: string, verdict: Verdict, measured: string, vsBare?: number): Row {
  return {
    scenario, rps: rps(r), p50: ms(r.p50_us), p99: ms(r.p99_us), p999: ms(r.p999_us), cpuUs: r.serverUs, foreign: r.foreignCores,
    ...(vsBare !== undefined ? { vsBare } : bare === undefined ? {} : { vsBare: rps(r) / rps(bare) }),
    target, verdict, measured,
  };
}

/** `value` against a lower bound: PASS when at least `min`. */
export function atLeast(value: number, min: number): Verdict {
  return value >= min ? 'PASS' : 'FAIL';
}

/** Ratio as `0.72×`. */
export function x(n: number): string {
  return `${n.toFixed(2)}×`;
}
