/**
 * The peer scenarios of issue 15: oauth2-proxy and Apache + mod_auth_openidc against keygate on the same warm bearer
 * requests, and Traefik → keygate against Traefik → bare auth server, each alternating in pairs like bare vs keygate.
 * Before any load, each peer is shown doing the job (valid token → success with an identity header, token without
 * the role → 401/403, no token → 401), so a peer that refuses or admits everything fails instead of winning.
 */
import { readFileSync } from 'node:fs';
import { MIDDLE_HOST } from './policies.js';
import { answerOf, startApache, startBenchTraefik, startJwksTls, startOAuth2Proxy, type Peer } from './peers.js';
import type { Bench } from './plan.js';
import type { Row, Verdict } from './report.js';
import { ScenarioError, assertAnswers, httpRow, luaEnv, x } from './scenarios.js';
import { startBare } from './setup.js';
import { median, mergeRuns, rps, runWrk, type WrkResult } from './wrk.js';

/** One side of a comparison: where wrk sends, with which bench.lua variables, the only acceptable status, whose CPU counts. */
export interface Side {
  readonly label: string;
  readonly url: string;
  readonly env: Readonly<Record<string, string>>;
  readonly expect: number;
  readonly pids: () => readonly number[];
}

/** Both sides' merged runs and the median of the pairs' req/s ratios (a / b). */
export interface Alternated {
  readonly a: WrkResult;
  readonly b: WrkResult;
  readonly ratio: number;
  readonly ratios: readonly number[];
}

const PAIRS = 4;

/** A warm-up of each side, then PAIRS pairs of (a, b) runs of seconds/PAIRS each; every answer's status asserted. */
export async function alternate(bench: Bench, what: string, a: Side, b: Side): Promise<Alternated> {
  const each = Math.max(1, Math.round(bench.seconds / PAIRS));
  const once = async (side: Side, seconds: number, measured: boolean): Promise<WrkResult> => {
    const r = await runWrk({ url: side.url, seconds, env: luaEnv(side.env, side.expect), serverPids: measured ? side.pids() : [] });
    assertAnswers(`${what} (${side.label}${measured ? '' : ', warm-up'})`, r, side.expect);
    return r;
  };
  await once(a, bench.warmupSeconds, false);
  await once(b, bench.warmupSeconds, false);
  const as: WrkResult[] = [];
  const bs: WrkResult[] = [];
  for (let i = 0; i < PAIRS; i++) {
    as.push(await once(a, each, true));
    bs.push(await once(b, each, true));
  }
  const ratios = as.map((r, i) => rps(r) / rps(bs[i] as WrkResult));
  return { a: mergeRuns(as), b: mergeRuns(bs), ratio: median(ratios), ratios };
}

/** The verdict of "keygate ≥ k× the peer's req/s" (and, when asked, "keygate's p99 no worse than the peer's"). */
export function peerVerdict(kgOverPeer: number, min: number, kgP99: number, peerP99: number, p99NoWorse: boolean): Verdict {
  return kgOverPeer >= min && (!p99NoWorse || kgP99 <= peerP99) ? 'PASS' : 'FAIL';
}

function firstLine(file: string): string {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l !== '');
  if (line === undefined) throw new ScenarioError(`no token in ${file}`);
  return line;
}

const FORWARD = { 'X-Forwarded-Method': 'GET', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': MIDDLE_HOST, 'X-Forwarded-Uri': '/api/v1/items/1000' };

/** The job, shown before the load: a valid token passes with an identity header; no role and no token are refused. */
async function checkJob(b: Bench, name: string, url: string, ok: number, base: Record<string, string>, identityInAnswer = true): Promise<void> {
  const valid = await answerOf(url, { ...base, Authorization: `Bearer ${firstLine(b.prep.files.warmTokens)}` });
  const noRole = await answerOf(url, { ...base, Authorization: `Bearer ${firstLine(b.prep.files.denyTokens)}` });
  const none = await answerOf(url, base);
  const problems: string[] = [];
  if (valid.status !== ok || (identityInAnswer && (valid.user === null || valid.user === ''))) problems.push(`valid token: ${valid.status}, user header ${JSON.stringify(valid.user)} (want ${ok} with a user)`);
  if (noRole.status !== 401 && noRole.status !== 403) problems.push(`token without the role: ${noRole.status} (want 401 or 403)`);
  if (none.status !== 401) problems.push(`no token: ${none.status} (want 401)`);
  if (problems.length > 0) throw new ScenarioError(`${name} does not do the job: ${problems.join('; ')}`);
  b.notes.push(`${name} job check: valid token → ${valid.status}${valid.user === null ? '' : ` (user ${valid.user})`}, token without bench-reader → ${noRole.status}, no token → ${none.status}.`);
}

function keygateWarm(b: Bench): Side {
  return { label: 'keygate', url: `${b.keygate.url}/auth`, env: { KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.warmTokens }, expect: 200, pids: () => [b.keygate.proc.pid] };
}

/**
 * CPU per answer and cores kept busy (req/s × CPU per answer) of both sides: keygate is one node process, so its
 * req/s is bounded by one core, while a multi-process or multi-threaded peer can use both; this tells the two apart.
 */
export function cpuNote(p: Pick<Alternated, 'a' | 'b'>): string {
  const us = (r: WrkResult): number => r.serverUs ?? Number.NaN;
  const cores = (r: WrkResult): number => (rps(r) * us(r)) / 1e6;
  return `CPU per answer ${us(p.a).toFixed(1)} vs ${us(p.b).toFixed(1)} µs (keygate ${x(us(p.b) / us(p.a))} cheaper), cores busy ${cores(p.a).toFixed(2)} vs ${cores(p.b).toFixed(2)}`;
}

/** keygate's and a peer's rows from an alternation (a = keygate, b = peer). */
function peerRows(name: string, p: Alternated, min: number, p99NoWorse: boolean): Row[] {
  const target = `keygate ≥ ${min}× req/s${p99NoWorse ? ', p99 no worse' : ''}`;
  const verdict = peerVerdict(p.ratio, min, p.a.p99_us, p.b.p99_us, p99NoWorse);
  const pairs = ` (median of ${p.ratios.length} alternating pairs: ${p.ratios.map((r) => r.toFixed(2)).join(', ')})`;
  return [
    { ...httpRow(`keygate, warm bearer (paired with ${name})`, p.a, undefined, '—', 'info', 'reference for the row below'), vsKeygate: 1 },
    { ...httpRow(name, p.b, undefined, target, verdict, `keygate ${x(p.ratio)} its req/s; p99 ${(p.a.p99_us / 1000).toFixed(2)} vs ${(p.b.p99_us / 1000).toFixed(2)} ms; ${cpuNote(p)}${pairs}`), vsKeygate: 1 / p.ratio },
  ];
}

async function versusPeer(b: Bench, start: () => Promise<Peer>, min: number, p99NoWorse: boolean, label: string): Promise<Row[]> {
  const peer = await start();
  try {
    b.notes.push(`${label}: ${peer.describe}.`);
    await checkJob(b, label, `${peer.url}${peer.path}`, peer.ok, FORWARD);
    const side: Side = { label, url: `${peer.url}${peer.path}`, env: { KG_PATH: peer.path, KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.warmTokens }, expect: peer.ok, pids: peer.pids };
    return peerRows(label, await alternate(b, label, keygateWarm(b), side), min, p99NoWorse);
  } catch (err) {
    // The peer's own log says why (e.g. Apache's AH00052 segfault lines), before its directory is removed.
    await peer.proc.stop(); // Apache logs a child's crash when it reaps it; read the log after that
    const log = peer.diagnostics();
    if (log !== '' && err instanceof Error) err.message = `${err.message}\n${label}'s log:\n${log}`;
    throw err;
  } finally {
    await peer.stop();
  }
}

/** oauth2-proxy v7.15 on /oauth2/auth with --skip-jwt-bearer-tokens: keygate ≥ 2× its warm req/s with a p99 no worse. */
export async function oauth2Proxy(b: Bench): Promise<Row[]> {
  b.notes.push('What the peer rows compare: keygate answers the 50 warm tokens from its verified-token cache (entries never outlive exp or a revocation); oauth2-proxy (pkg/middleware/jwt_session.go has no cache) and mod_auth_openidc 2.4 check the RS256 signature of every request. That is the warm target of issue 15 as written; a cold-token comparison with the peers is not in this table.');
  return versusPeer(b, () => startOAuth2Proxy(b.prep.idp.issuer), 2, true, 'oauth2-proxy /oauth2/auth (bearer JWT)');
}

/** Apache + mod_auth_openidc (AuthType oauth20, Require claim): keygate ≥ 4× its req/s. */
export async function modAuthOpenidc(b: Bench): Promise<Row[]> {
  const jwks = await startJwksTls(`${b.prep.idp.issuer}/protocol/openid-connect/certs`);
  try {
    // BENCH_APACHE_MPM=event reproduces the segfaults under Debian's default MPM (see apacheConfig).
    const mpm = process.env['BENCH_APACHE_MPM'] === 'event' ? 'event' : 'prefork';
    if (mpm === 'prefork') b.notes.push('Apache runs mpm_prefork (64 single-threaded children): under Debian\'s default mpm_event (2 children × 32 threads) wrk saw connections closed mid-request (read errors, so the row fails) in each of 3 runs, and in 2 of them error.log had `AH00052: child pid … exit signal Segmentation fault (11)` within about 2 s of load; `BENCH_APACHE_MPM=event` reproduces it. Other event settings and mpm_worker were not tried.');
    return await versusPeer(b, () => startApache(jwks.url, mpm), 4, false, 'Apache mod_auth_openidc (AuthType oauth20)');
  } finally {
    await jwks.close();
  }
}

/** Traefik 3.7 forwardAuth → keygate against Traefik 3.7 forwardAuth → bare auth server, alternating; both Traefiks up throughout. */
export async function traefik(b: Bench): Promise<Row[]> {
  const upstream = await startBare('upstream');
  const probe = { Host: MIDDLE_HOST, Authorization: `Bearer ${firstLine(b.prep.files.warmTokens)}` };
  const started: Peer[] = [];
  try {
    const viaBare = await startBenchTraefik('traefik-bare', b.bareAuth.url, upstream.url, probe);
    started.push(viaBare);
    const viaKeygate = await startBenchTraefik('traefik-keygate', b.keygate.url, upstream.url, probe);
    started.push(viaKeygate);
    b.notes.push(`Traefik rows: ${viaKeygate.describe}; upstream: the bare node:http upstream.`);
    // Through a proxy the identity headers go to the app, not back to the client: only the statuses are checked here.
    await checkJob(b, 'Traefik → keygate', `${viaKeygate.url}/api/v1/items/1000`, 200, { Host: MIDDLE_HOST }, false);
    const env = { KG_MODE: 'proxy', KG_TARGETS: b.prep.files.middleTargets, KG_TOKENS: b.prep.files.warmTokens };
    const side = (label: string, t: Peer, authPid: number): Side => ({ label, url: t.url, env, expect: 200, pids: () => [t.proc.pid, authPid, upstream.proc.pid] });
    const p = await alternate(b, 'Traefik', side('Traefik → keygate', viaKeygate, b.keygate.proc.pid), side('Traefik → bare', viaBare, b.bareAuth.proc.pid));
    const pairs = ` (median of ${p.ratios.length} alternating pairs: ${p.ratios.map((r) => r.toFixed(2)).join(', ')})`;
    const split = (w: WrkResult, auth: string): string => `Traefik ${w.serverUsEach[0]?.toFixed(1) ?? '?'}, ${auth} ${w.serverUsEach[1]?.toFixed(1) ?? '?'}, upstream ${w.serverUsEach[2]?.toFixed(1) ?? '?'}`;
    b.notes.push(`CPU µs per request through Traefik: ${split(p.b, 'bare auth')} vs ${split(p.a, 'keygate')}.`);
    return [
      { ...httpRow('Traefik forwardAuth → bare auth server', p.b, p.b, '—', 'info', 'baseline for the row below'), vsKeygate: 1 / p.ratio },
      { ...httpRow('Traefik forwardAuth → keygate', p.a, p.b, '≥ 0.8× Traefik → bare auth', p.ratio >= 0.8 ? 'PASS' : 'FAIL', `${x(p.ratio)} of Traefik → bare${pairs}`, p.ratio), vsKeygate: 1 },
    ];
  } finally {
    for (const t of started) await t.stop();
    await upstream.proc.stop();
  }
}
