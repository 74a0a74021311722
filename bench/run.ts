/**
 * `npm run bench` (issue #5): in one run, on loopback, the bare node:http baseline and keygate (a separate
 * `keygate serve` process) side by side against the same Keycloak look-alike and the same wrk settings; prints
 * the table and writes bench/RESULTS.md. Every load is bounded in time; every process is stopped, also on failure.
 *
 * Environment: BENCH_DURATION (seconds per measured run, default 8), BENCH_PROFILE=1 (keygate under --cpu-prof;
 * the profile path is printed), BENCH_LOG_LEVEL (keygate's level, default info), BENCH_ONLY=warm,deny,… (a subset,
 * for profiling; RESULTS.md is then left alone, except that a subset with a peer scenario rewrites its peers section), BENCH_KEEP=1 (keep the temporary token and policy files),
 * BENCH_APACHE_MPM=event (Apache's MPM for the mod_auth_openidc row; default prefork, see bench/peer-config.ts).
 * Exit code 1 when a target is missed or a scenario broke (wrong status, crash).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anonymous, bareBaseline, caddy, coldBearer, deny, largePolicyHttp, memory, policyMicro, session, traced, warmBearer, type Bench } from './plan.js';
import { modAuthOpenidc, oauth2Proxy, traefik } from './peer-plan.js';
import { stopAll } from './procs.js';
import { table, writePeerResults, writeResults, type Row } from './report.js';
import { COLD_SET_SIZE, KEYGATE_LOG_LEVEL, POLICIES, coldSetASize, prepare, startBare, startKeygate, type Prepared } from './setup.js';

const started = performance.now();
const seconds = Number(process.env['BENCH_DURATION'] ?? '8');
if (!Number.isFinite(seconds) || seconds < 1 || seconds > 120) {
  process.stderr.write(`BENCH_DURATION must be a number of seconds from 1 to 120, got ${JSON.stringify(process.env['BENCH_DURATION'])}\n`);
  process.exit(2);
}
const warmupSeconds = Math.min(2, Math.max(1, Math.round(seconds / 4)));
const profileDir = process.env['BENCH_PROFILE'] === '1' ? mkdtempSync(join(tmpdir(), 'keygate-bench-prof-')) : undefined;

function say(s: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);
}

process.once('SIGINT', () => {
  say('interrupted: stopping every process');
  void stopAll().then(() => process.exit(130));
});

/** The scenarios: name (for an ERROR row), target, and the function producing rows. */
const SCENARIOS: ReadonlyArray<readonly [string, string, string, (b: Bench) => Promise<Row[]>]> = [
  ['bare', 'Bare node:http auth server (baseline)', '—', bareBaseline],
  ['warm', 'Warm bearer (50 tokens, rule 25 of 50)', '≥ 0.7× req/s, p99 ≤ 1.5×', warmBearer],
  // Deny and 401 run next to warm, before the cold and session scenarios: 50 browser logins (express, openid-client,
  // jose) leave node's HTTP internals running less optimised code, 1-4 µs slower per answer in A/B runs, so the
  // three bearer-path ratios are measured in the same process state (see the note in RESULTS.md).
  ['deny', 'Deny (valid token, no role → 403)', '≥ 0.7× bare req/s', deny],
  ['anon', 'Anonymous API (→ 401)', '≥ 0.7× bare req/s', anonymous],
  ['traced', 'Warm bearer, tracing on (OTLP/HTTP to a discarding sink)', 'reported (vs keygate, tracing off)', traced],
  ['cold', 'Cold bearer (every token new)', '≥ 1.0× node:http + jose jwtVerify', coldBearer],
  ['session', 'Session cookie (50 users)', '≥ 0.5× bare req/s', session],
  ['large', 'Large policy over HTTP (10,000 rules, 1,000 hosts)', 'reported', largePolicyHttp],
  ['policy', 'Large policy: evaluate() and load', '≤ 2×, < 1 s', policyMicro],
  ['caddy', 'Caddy forward_auth → keygate', '≥ 0.8× Caddy → bare auth', caddy],
  // The peers users would deploy instead (issue 15), each alternating with keygate on the same requests.
  ['traefik', 'Traefik forwardAuth → keygate', '≥ 0.8× Traefik → bare auth', traefik],
  ['oauth2-proxy', 'oauth2-proxy /oauth2/auth (bearer JWT)', 'keygate ≥ 2× req/s, p99 no worse', oauth2Proxy],
  ['apache', 'Apache mod_auth_openidc (AuthType oauth20)', 'keygate ≥ 4× req/s', modAuthOpenidc],
  ['memory', 'Memory: keygate RSS over 100k / the next 100k distinct tokens', '< 200 MB (peak) and flat (steady-state mean ≤ +10%)', memory],
];

/** The peer scenarios (issue 15). */
const PEER_KEYS: readonly string[] = ['traefik', 'oauth2-proxy', 'apache'];

/** BENCH_ONLY=warm,deny runs a subset (the baseline always runs); for profiling, never for RESULTS.md. */
const only = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim()).filter((s) => s !== '');
const selected = SCENARIOS.filter(([key]) => only === undefined || key === 'bare' || only.includes(key));
const needCold = selected.some(([key]) => key === 'cold' || key === 'memory');

async function runAll(rows: Row[], notes: string[]): Promise<void> {
  let prep: Prepared | undefined;
  try {
    const coldA = needCold ? coldSetASize(seconds) : 0;
    say(`starting the Keycloak look-alike and minting tokens${needCold ? ` (${coldA} + ${COLD_SET_SIZE} cold tokens in worker threads)` : ''}`);
    prep = await prepare(coldA);
    if (needCold) notes.push(`Minted ${coldA.toLocaleString('en')} + ${COLD_SET_SIZE.toLocaleString('en')} cold tokens with the look-alike's signing key in ${prep.mintSeconds.toFixed(1)} s (node:crypto in worker threads, before any load).`);
    const bareAuth = await startBare('auth');
    const keygate = await startKeygate('keygate', prep, POLICIES.middle(), profileDir);
    const b: Bench = { prep, seconds, warmupSeconds, bareAuth, keygate, notes };
    notes.push('Order: warm, deny and anonymous run in a keygate that has answered `/readyz` (as under probes) but no browser login; cold, then session (whose 50 logins go through express, openid-client and jose) run after them. In separate A/B runs on this machine, 50 logins left node\'s HTTP internals 1-4 µs slower per answer afterwards.');
    for (const [, name, target, fn] of selected) {
      say(name);
      try {
        rows.push(...await fn(b));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        process.stderr.write(`\n!!!!!!!! ${name}: FAILED: ${message}\n\n`);
        rows.push({ scenario: name, target, verdict: 'ERROR', measured: message.split('\n')[0] ?? '' });
      }
    }
  } finally {
    await stopAll();
    await prep?.idp.close();
    // The token files are a few hundred MB; BENCH_KEEP=1 keeps them for a look afterwards.
    if (prep !== undefined && process.env['BENCH_KEEP'] !== '1') rmSync(prep.dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
const notes: string[] = [];
let crashed: unknown;
try {
  await runAll(rows, notes);
} catch (err) {
  crashed = err;
}
// The baseline's ratio to keygate (issue 15: every row reports one), known once the warm scenario has run.
const warmRow = rows.find((r) => r.scenario.startsWith('Warm bearer'));
const bareIndex = rows.findIndex((r) => r.scenario.startsWith('Bare node:http auth server'));
const bareRow = rows[bareIndex];
if (warmRow?.rps !== undefined && bareRow?.rps !== undefined) rows[bareIndex] = { ...bareRow, vsKeygate: bareRow.rps / warmRow.rps };
if (profileDir !== undefined) {
  notes.push(`CPU profile of keygate: ${profileDir}`);
  say(`CPU profiles in ${profileDir} (written when keygate stops)`);
}
const info = {
  seconds, warmupSeconds, notes, totalSeconds: (performance.now() - started) / 1000,
  logging: `log level ${KEYGATE_LOG_LEVEL} (one JSON audit line per decision at info), stdout to /dev/null`,
};
// A BENCH_ONLY run with a peer scenario (issue 15) rewrites only the peers section; other subsets leave the file alone.
const peerRun = only !== undefined && only.some((k) => PEER_KEYS.includes(k)) && crashed === undefined;
const results = only === undefined ? writeResults(rows, info) : peerRun ? writePeerResults(rows, { ...info, only }) : '';
process.stdout.write(`\n${table(rows)}\n\n${notes.map((n) => `- ${n}\n`).join('')}\n`);
say(results === '' ? 'BENCH_ONLY set: bench/RESULTS.md left as it was' : `wrote bench/RESULTS.md (${results.length} bytes)${only === undefined ? '' : ': its peers section'}`);
if (crashed !== undefined) {
  process.stderr.write(`\n!!!!!!!! bench could not run: ${crashed instanceof Error ? crashed.stack ?? crashed.message : String(crashed)}\n`);
  process.exit(1);
}
process.exit(rows.some((r) => r.verdict === 'FAIL' || r.verdict === 'ERROR') ? 1 : 0);
