/** The scenarios of issue #5, in the order the bench runs them; each returns its table rows or throws. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCaddy } from './caddy.js';
import { MIDDLE_HOST } from './policies.js';
import { rssBytes, startProc } from './procs.js';
import type { Row } from './report.js';
import { ScenarioError, assertAnswers, atLeast, httpRow, luaEnv, measure, x, type Load } from './scenarios.js';
import { sessionCookies } from './session.js';
import { COLD_SET_SIZE, POLICIES, startBare, startKeygate, type Prepared, type Server } from './setup.js';
import { startSpanSink } from './span-sink.js';
import { benchUsers } from './tokens.js';
import { median, mergeRuns, rps, runWrk, type WrkResult } from './wrk.js';

/** Everything the scenarios share. `bare` is filled by the baseline scenario. */
export interface Bench {
  readonly prep: Prepared;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly bareAuth: Server;
  readonly keygate: Server;
  readonly notes: string[];
  bare?: WrkResult;
  warm?: WrkResult;
}

const MB = 1024 * 1024;

function fmtUs(us: number | undefined): string {
  return us === undefined ? '?' : us.toFixed(1);
}

function load(b: Bench, server: Server, env: Record<string, string>, expect: number): Load {
  return { url: `${server.url}/auth`, seconds: b.seconds, warmupSeconds: b.warmupSeconds, env, expect, serverPids: [server.proc.pid] };
}

function bareOf(b: Bench): WrkResult {
  if (b.bare === undefined) throw new ScenarioError('the bare baseline did not run, so there is nothing to compare with');
  return b.bare;
}

/** Issue 15's targets: warm, deny and 401 at ≥ 0.7× bare req/s (warm p99 ≤ 1.5× bare's). */
const VS_BARE = 0.7;

/** Pairs of (bare, keygate) runs in one paired comparison. */
const PAIRS = 4;

/** A paired comparison: both sides' runs merged, and the median of the pairs' req/s ratios. */
interface Paired {
  readonly bare: WrkResult;
  readonly kg: WrkResult;
  readonly ratio: number;
  readonly ratios: readonly number[];
}

/**
 * The bare server and keygate under the same request shapes, alternating: a warm-up of each, then PAIRS pairs of
 * (bare, keygate) runs of seconds/PAIRS each. The machine's speed drifts by ±20% over minutes (shared host), so
 * a single bare run followed by a single keygate run could land in different phases; the median of the pairs'
 * ratios moves with one slow phase by at most one pair.
 */
async function paired(b: Bench, what: string, server: Server, env: Record<string, string>, expect: number, reference: { server: Server; expect: number } = { server: b.bareAuth, expect: 200 }): Promise<Paired> {
  const bareLoad = load(b, reference.server, env, reference.expect);
  const kgLoad = load(b, server, env, expect);
  const each = Math.max(1, Math.round(b.seconds / PAIRS));
  const once = async (side: string, l: Load, seconds: number, pids: readonly number[] = l.serverPids): Promise<WrkResult> => {
    const r = await runWrk({ url: l.url, seconds, env: luaEnv(l.env, l.expect), serverPids: pids });
    assertAnswers(`${what} (${side})`, r, l.expect);
    return r;
  };
  await once('bare, warm-up', bareLoad, b.warmupSeconds, []);
  await once('warm-up', kgLoad, b.warmupSeconds, []);
  const bares: WrkResult[] = [];
  const kgs: WrkResult[] = [];
  for (let i = 0; i < PAIRS; i++) {
    bares.push(await once('bare', bareLoad, each));
    kgs.push(await once('keygate', kgLoad, each));
  }
  const ratios = kgs.map((k, i) => rps(k) / rps(bares[i] as WrkResult));
  return { bare: mergeRuns(bares), kg: mergeRuns(kgs), ratio: median(ratios), ratios };
}

function pairedNote(p: Paired): string {
  return ` (median of ${p.ratios.length} alternating pairs: ${p.ratios.map((r) => r.toFixed(2)).join(', ')})`;
}

/** The standard row of a "≥ k× bare" scenario measured in alternating pairs. */
function pairedRow(scenario: string, p: Paired, min: number): Row {
  return httpRow(scenario, p.kg, p.bare, `≥ ${min}× bare req/s`, atLeast(p.ratio, min), `${x(p.ratio)}${pairedNote(p)}`, p.ratio);
}

/** Bare node:http answering 200 with keygate's allow headers, same request shapes as the warm scenario. */
export async function bareBaseline(b: Bench): Promise<Row[]> {
  b.bare = await measure('bare baseline', load(b, b.bareAuth, { KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.warmTokens }, 200));
  return [httpRow('Bare node:http auth server (baseline)', b.bare, b.bare, '—', 'info', 'baseline')];
}

/** 50 distinct valid tokens cycled, matching rules[25] of a 50-rule policy. */
export async function warmBearer(b: Bench): Promise<Row[]> {
  const p = await paired(b, 'warm bearer', b.keygate, { KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.warmTokens }, 200);
  b.warm = p.kg;
  const p99 = p.kg.p99_us / p.bare.p99_us;
  const verdict = p.ratio >= VS_BARE && p99 <= 1.5 ? 'PASS' : 'FAIL';
  return [{ ...httpRow('Warm bearer (50 tokens, rule 25 of 50)', p.kg, p.bare, `≥ ${VS_BARE}× req/s, p99 ≤ 1.5×`, verdict, `${x(p.ratio)} req/s, p99 ${x(p99)}${pairedNote(p)}`, p.ratio), vsKeygate: 1 }];
}

/**
 * Warm bearer with tracing on (issue 16 point 3): a second keygate exporting every decision span over OTLP/HTTP to a
 * sink that reads and discards, alternated with the untraced keygate on the same requests. Tracing off creates no
 * tracer at all, so the untraced keygate is also what "off" costs.
 */
export async function traced(b: Bench): Promise<Row[]> {
  const sink = await startSpanSink();
  try {
    const kg = await startKeygate('keygate-traced', b.prep, POLICIES.middle(), undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200', KEYGATE_SHUTDOWN_DRAIN_DELAY_SECONDS: '0',
    });
    const p = await paired(b, 'warm bearer, tracing on', kg, { KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.warmTokens }, 200, { server: b.keygate, expect: 200 });
    await kg.proc.stop();
    if (sink.spans() === 0) throw new ScenarioError('tracing on, but the sink received no span');
    const p99 = p.kg.p99_us / p.bare.p99_us;
    return [httpRow('Warm bearer, tracing on (OTLP/HTTP to a discarding sink)', p.kg, undefined, 'reported (vs keygate, tracing off)', 'info',
      `${x(p.ratio)} req/s of tracing off, p99 ${x(p99)}, CPU ${fmtUs(p.kg.serverUs)} vs ${fmtUs(p.bare.serverUs)} µs/answer; ${sink.spans().toLocaleString('en')} spans exported${pairedNote(p)}`)];
  } finally {
    await sink.close();
  }
}

/** Valid token without the role → 403. */
export async function deny(b: Bench): Promise<Row[]> {
  const p = await paired(b, 'deny', b.keygate, { KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.denyTokens }, 403);
  return [pairedRow('Deny (valid token, no role → 403)', p, VS_BARE)];
}

/** No credentials on an API request → 401. */
export async function anonymous(b: Bench): Promise<Row[]> {
  const p = await paired(b, 'anonymous API', b.keygate, { KG_TARGETS: b.prep.files.middleTargets }, 401);
  return [pairedRow('Anonymous API (→ 401)', p, VS_BARE)];
}

/** A valid session cycled across 50 users (real logins through keygate); n/a until `keygate serve` has sessions. */
export async function session(b: Bench): Promise<Row[]> {
  const setup = await sessionCookies(b.keygate.url, `https://${MIDDLE_HOST}/api/v1/items/1`, benchUsers());
  if (setup.kind === 'unavailable') return [{ scenario: 'Session cookie (50 users)', target: '≥ 0.5× bare req/s', verdict: 'n/a', measured: `(${setup.reason})` }];
  const file = join(b.prep.dir, 'cookies.txt');
  writeFileSync(file, `${setup.cookies.join('\n')}\n`);
  const p = await paired(b, 'session cookie', b.keygate, { KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: file, KG_CRED_HEADER: 'Cookie', KG_CRED_PREFIX: 'none' }, 200);
  return [pairedRow('Session cookie (50 users)', p, 0.5)];
}

/** jose's own jwtVerify rate (50 in flight) over the same cold tokens, in its own process. */
async function joseRate(b: Bench): Promise<number> {
  const script = fileURLToPath(new URL('./jose-rate.js', import.meta.url));
  const proc = startProc('jose-rate', process.execPath, [script, b.prep.files.coldA, b.prep.files.jwks, b.prep.idp.issuer, String(b.seconds)], { pipeStdout: true });
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), (b.seconds + 30) * 1000);
  await proc.exited;
  clearTimeout(timer);
  const m = /^(\{.*\})$/m.exec(proc.output());
  if (proc.child.exitCode !== 0 || m?.[1] === undefined) throw new ScenarioError(`jose-rate failed (exit ${String(proc.child.exitCode)}):\n${proc.output()}`);
  return (JSON.parse(m[1]) as { rate: number }).rate;
}

/** Every request a token keygate has never seen; compared with jose's jwtVerify rate measured right after. */
export async function coldBearer(b: Bench): Promise<Row[]> {
  const url = `${b.keygate.url}/auth`;
  const vars = { KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.coldA };
  const w = await runWrk({ url, seconds: 1, env: luaEnv(vars, 200) });
  assertAnswers('cold bearer (warm-up)', w, 200);
  const r = await runWrk({ url, seconds: b.seconds, env: luaEnv({ ...vars, KG_OFFSET: String(w.sent) }, 200), serverPids: [b.keygate.proc.pid] });
  assertAnswers('cold bearer', r, 200);
  if (r.wrapped > 0) throw new ScenarioError(`cold bearer: ran out of the ${b.prep.coldASize} cold tokens (${r.wrapped} requests reused one); raise the token rate in coldSetASize`);
  const jose = await joseRate(b);
  const overHttp = await bareJose(b);
  // Issue 15: the fair yardstick is node:http + jwtVerify per request on the same cores, not jose's in-process loop.
  const ratio = rps(r) / rps(overHttp);
  return [
    httpRow('Cold bearer (every token new)', r, bareOf(b), '≥ 1.0× node:http + jose jwtVerify', atLeast(ratio, 1.0), `${x(ratio)} of bare node:http + jwtVerify; ${x(rps(r) / jose)} of jose's in-process ${jose.toFixed(0)}/s`),
    httpRow('Bare node:http + jose jwtVerify per request (cold yardstick)', overHttp, bareOf(b), '—', 'info', 'same cold tokens, no cache'),
  ];
}

/** node:http running jose's jwtVerify on every request: what HTTP plus verification alone cost, on the same cores as wrk. */
async function bareJose(b: Bench): Promise<WrkResult> {
  const server = await startBare('jose', [b.prep.files.jwks, b.prep.idp.issuer]);
  try {
    const vars = { KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.coldA };
    return await measure('bare node:http + jwtVerify', { ...load(b, server, vars, 200), warmupSeconds: 1 });
  } finally {
    await server.proc.stop();
  }
}

/** Caddy forward_auth → bare auth server vs Caddy forward_auth → keygate; same upstream, same tokens. */
export async function caddy(b: Bench): Promise<Row[]> {
  const upstream = await startBare('upstream');
  try {
    const env = { KG_MODE: 'proxy', KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.warmTokens };
    const viaBare = await startCaddy(b.bareAuth.port, upstream.port);
    const base = await measure('Caddy → bare auth', { url: viaBare.url, seconds: b.seconds, warmupSeconds: b.warmupSeconds, env, expect: 200, serverPids: [viaBare.proc.pid, b.bareAuth.proc.pid, upstream.proc.pid] });
    await viaBare.proc.stop();
    const viaKeygate = await startCaddy(b.keygate.port, upstream.port);
    const r = await measure('Caddy → keygate', { url: viaKeygate.url, seconds: b.seconds, warmupSeconds: b.warmupSeconds, env, expect: 200, serverPids: [viaKeygate.proc.pid, b.keygate.proc.pid, upstream.proc.pid] });
    await viaKeygate.proc.stop();
    const ratio = rps(r) / rps(base);
    const split = (w: WrkResult, auth: string): string => `Caddy ${fmtUs(w.serverUsEach[0])}, ${auth} ${fmtUs(w.serverUsEach[1])}, upstream ${fmtUs(w.serverUsEach[2])}`;
    b.notes.push(`CPU µs per request through Caddy: ${split(base, 'bare auth')} vs ${split(r, 'keygate')}.`);
    return [
      httpRow('Caddy forward_auth → bare auth server', base, base, '—', 'info', 'baseline for the row below'),
      httpRow('Caddy forward_auth → keygate', r, base, '≥ 0.8× Caddy → bare auth', atLeast(ratio, 0.8), `${x(ratio)} of Caddy → bare`),
    ];
  } finally {
    await upstream.proc.stop();
  }
}

/** A second keygate with 10,000 rules over 1,000 hosts; requests spread over every host. */
export async function largePolicyHttp(b: Bench): Promise<Row[]> {
  const big = await startKeygate('keygate-10k', b.prep, POLICIES.large());
  try {
    const env = { KG_TARGETS: b.prep.files.largeTargets, KG_TOKENS: b.prep.files.warmTokens };
    const p = await paired(b, 'large policy', big, env, 200);
    const vsWarm = b.warm === undefined ? '' : `; ${x(rps(p.kg) / rps(b.warm))} of warm bearer (50 rules)`;
    return [httpRow('Large policy over HTTP (10,000 rules, 1,000 hosts)', p.kg, p.bare, 'reported', 'info', `${x(p.ratio)} bare${vsWarm}${pairedNote(p)}`, p.ratio)];
  } finally {
    await big.proc.stop();
  }
}

/** What one policy-micro child reports. */
interface Micro {
  readonly loadMs10k: number;
  readonly reloadMs10k: number;
  readonly ns10: number;
  readonly ns10k: number;
  readonly ratio: number;
}

/** Runs policy-micro in a fresh child process (`patterns`: the policy with role and group patterns). */
async function runMicro(args: readonly string[]): Promise<Micro> {
  const proc = startProc('policy-micro', process.execPath, [fileURLToPath(new URL('./policy-micro.js', import.meta.url)), ...args], { pipeStdout: true });
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 60_000);
  await proc.exited;
  clearTimeout(timer);
  const m = /^(\{.*\})$/m.exec(proc.output());
  if (proc.child.exitCode !== 0 || m?.[1] === undefined) throw new ScenarioError(`policy-micro failed:\n${proc.output()}`);
  return JSON.parse(m[1]) as Micro;
}

/** evaluate() at 10 vs 10,000 rules and load time at 10,000 rules, plain and with patterns (issue 13), in child processes. */
export async function policyMicro(b: Bench): Promise<Row[]> {
  const r = await runMicro([]);
  const p = await runMicro(['patterns']);
  b.notes.push(`Policy load = parse + validate + compile + shadowed-rule check (what boot and reload pay); first load in a fresh process ${r.loadMs10k.toFixed(0)} ms, second ${r.reloadMs10k.toFixed(0)} ms; with a \`*\` pattern in every role and group value ${p.loadMs10k.toFixed(0)} ms, second ${p.reloadMs10k.toFixed(0)} ms.`);
  return [
    { scenario: 'Large policy: evaluate() at 10,000 vs 10 rules', target: '≤ 2×', verdict: r.ratio <= 2 ? 'PASS' : 'FAIL', measured: `${x(r.ratio)} (${r.ns10k.toFixed(0)} ns vs ${r.ns10.toFixed(0)} ns per call)` },
    { scenario: 'Large policy: load 10,000 rules', target: '< 1 s', verdict: r.loadMs10k < 1000 ? 'PASS' : 'FAIL', measured: `${r.loadMs10k.toFixed(0)} ms` },
    { scenario: 'Large pattern policy: evaluate() at 10,000 vs 10 rules', target: '≤ 2×', verdict: p.ratio <= 2 ? 'PASS' : 'FAIL', measured: `${x(p.ratio)} (${p.ns10k.toFixed(0)} ns vs ${p.ns10.toFixed(0)} ns per call)` },
    { scenario: 'Large pattern policy: load 10,000 rules', target: '< 1 s', verdict: p.loadMs10k < 1000 ? 'PASS' : 'FAIL', measured: `${p.loadMs10k.toFixed(0)} ms` },
  ];
}

/** V8 heap in use and committed (MB) as keygate's own /metrics reports it (prom-client default metrics). */
async function heapOf(server: Server): Promise<string> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (name: string): number => Number(new RegExp(`^keygate_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / MB;
  return `heap ${read('nodejs_heap_size_used_bytes').toFixed(0)}/${read('nodejs_heap_size_total_bytes').toFixed(0)} MB used/committed`;
}

/**
 * RSS of keygate over 100k distinct tokens, then another 100k, sampled every 50 ms during each phase: the peak
 * of either phase under 200 MB, and flat = the mean over the second half of the second phase (tokens 150k-200k)
 * within +10% of the mean over the second half of the first (50k-100k; the caches hold 20k, so both are steady
 * state). A single reading after a phase lands anywhere in V8's garbage-collection cycle (one run read 144 MB,
 * then 187 MB, with 26 and 83 MB of heap in use), and so does a phase's peak (167, then 194 MB, in another); a
 * whole-phase mean counts the first phase's climb from the scenario before (137 -> 163 MB with end readings of
 * 151 and 153 MB). A mean over ~40 samples of steady state tells growth from GC timing.
 */
export async function memory(b: Bench): Promise<Row[]> {
  const url = `${b.keygate.url}/auth`;
  const pid = b.keygate.proc.pid;
  const phase = async (file: string, what: string): Promise<{ r: WrkResult; peak: number; mean: number; end: number }> => {
    const samples = [rssBytes(pid)];
    const sampler = setInterval(() => { samples.push(rssBytes(pid)); }, 50);
    try {
      const r = await runWrk({ url, seconds: 150, env: luaEnv({ KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: file }, 200), limit: COLD_SET_SIZE });
      assertAnswers(what, r, 200);
      if (r.responses < COLD_SET_SIZE) throw new ScenarioError(`${what}: only ${r.responses} of ${COLD_SET_SIZE} tokens answered within 150 s`);
      const end = rssBytes(pid);
      samples.push(end);
      const steady = samples.slice(Math.floor(samples.length / 2));
      return { r, peak: Math.max(...samples), mean: steady.reduce((a, v) => a + v, 0) / steady.length, end };
    } finally {
      clearInterval(sampler);
    }
  };
  const p1 = await phase(b.prep.files.coldA, 'memory, first 100k tokens');
  const heap1 = await heapOf(b.keygate);
  const p2 = await phase(b.prep.files.coldB, 'memory, next 100k tokens');
  const heap2 = await heapOf(b.keygate);
  const growth = p2.mean / p1.mean - 1;
  const ok = Math.max(p1.peak, p2.peak) < 200 * MB && growth <= 0.1;
  const mb = (v: number): string => (v / MB).toFixed(0);
  b.notes.push(`Memory phases ran at ${rps(p1.r).toFixed(0)} and ${rps(p2.r).toFixed(0)} req/s (all tokens new to keygate or long evicted); RSS at the end of each phase ${mb(p1.end)} and ${mb(p2.end)} MB; after them: ${heap1}, then ${heap2}. The cold tokens carry the 50 bench users' claims (many tokens per user, as in production), so cached entries share identities.`);
  return [{
    scenario: 'Memory: keygate RSS over 100k / the next 100k distinct tokens', target: '< 200 MB (peak) and flat (steady-state mean ≤ +10%)', verdict: ok ? 'PASS' : 'FAIL',
    measured: `peak ${mb(p1.peak)} / ${mb(p2.peak)} MB; mean of each phase's second half ${mb(p1.mean)} → ${mb(p2.mean)} MB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%)`,
  }];
}

