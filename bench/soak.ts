/**
 * `npm run soak` (issue #12 point 9; not in CI): `keygate serve` in its own process against the Keycloak look-alike,
 * for SOAK_SECONDS (default 600), at a fixed rate below saturation (SOAK_RATE requests/s, default 200): warm and cold
 * bearer tokens, browser sessions (refreshed every minute: access tokens live 60 s), denials, garbage tokens,
 * ambiguous paths and anonymous requests, each with the one status it must get. The policy is rewritten every
 * minute (a reload), and the look-alike rotates its signing key once, at 40 % of the run; cold tokens are signed
 * with the new key from then on. Every 5 s: keygate's RSS and its event-loop delay (p99 and max of the window, from
 * its own /metrics). Before the timed run, SOAK_PREFILL (default 22,000) distinct cold tokens fill keygate's
 * verified-token cache (20,000 entries) to its bound, so RSS over the run shows the steady state, not the cache filling.
 * Writes bench/SOAK.md and bench/soak.svg; exit code 1 on any unexpected status.
 */
import { createSign, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestIdp } from '../test/support/idp.js';
import { testEnv } from '../test/support/keygate.js';
import { freePort } from './caddy.js';
import { MIDDLE_HOST, middlePolicy } from './policies.js';
import { ROOT, rssBytes, startProc, stopAll, waitForStatus } from './procs.js';
import { sessionCookies } from './session.js';
import { renderSoak, type SoakSample, type SoakSummary } from './soak-report.js';
import { OTHER_ROLE, benchUsers, captureSigningKey, mintPerUser, payloadOf } from './tokens.js';

const seconds = Number(process.env['SOAK_SECONDS'] ?? '600');
const rate = Number(process.env['SOAK_RATE'] ?? '200');
const prefill = Number(process.env['SOAK_PREFILL'] ?? '22000');
if (!Number.isFinite(seconds) || seconds < 10 || seconds > 7200 || !Number.isFinite(rate) || rate < 10 || rate > 5000) {
  process.stderr.write('SOAK_SECONDS must be 10-7200 and SOAK_RATE 10-5000\n');
  process.exit(2);
}
const started = performance.now();
const say = (s: string): void => { process.stderr.write(`[soak ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}\n`); };
process.once('SIGINT', () => { void stopAll().then(() => process.exit(130)); });

/** Request kinds, their share of the traffic (sums to 100) and the one status each must get. */
const MIX = [
  { kind: 'warm', share: 35, want: 200 },
  { kind: 'cold', share: 10, want: 200 },
  { kind: 'session', share: 20, want: 200 },
  { kind: 'deny', share: 10, want: 403 },
  { kind: 'garbage', share: 10, want: 401 },
  { kind: 'ambiguous', share: 10, want: 400 },
  { kind: 'anonymous', share: 5, want: 401 },
] as const;
type Kind = (typeof MIX)[number]['kind'];
const AMBIGUOUS = ['/api/v1/items;x/1', '/api%3bx/items', '/api./items', '/api%20/items', '/%2561pi/items', '/api/a%2Fb'];

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-soak-'));
  say('starting the Keycloak look-alike and minting tokens');
  const idp = await startTestIdp({ audience: ['keygate'], extraUsers: benchUsers(), accessTokenTtlSeconds: 60 });
  const exp = (): number => Math.floor(Date.now() / 1000) + 3 * 3600;
  const warm = await Promise.all((await mintPerUser(idp)).map(async (t) => idp.mintAccessToken({ ...payloadOf(t), exp: exp() })));
  const deny = await Promise.all((await mintPerUser(idp, [OTHER_ROLE])).map(async (t) => idp.mintAccessToken({ ...payloadOf(t), exp: exp() })));
  const template = payloadOf(warm[0] ?? '');
  let signer = await captureSigningKey(idp);
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, middlePolicy());
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, ...testEnv(idp.issuer, policyFile, port, { KEYGATE_LOG_LEVEL: 'warn', KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32', KEYGATE_PUBLIC_URL: url, KEYGATE_REDIRECT_HOSTS: MIDDLE_HOST }) };
  const keygate = startProc('keygate', process.execPath, [join(ROOT, 'dist/bench/keygate-server.js')], { env });
  await waitForStatus(`${url}/readyz`, 200, keygate, 20_000);
  say(`keygate pid ${keygate.pid} ready at ${url}; 50 session logins`);
  const setup = await sessionCookies(url, `https://${MIDDLE_HOST}/api/v1/items/1`, benchUsers());
  if (setup.kind !== 'ready') throw new Error(`sessions unavailable: ${setup.reason}`);
  const sessions = setup.cookies.map(parseCookieHeader);
  const bearerAt = (token: string): Record<string, string> => ({ 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': MIDDLE_HOST, 'x-forwarded-uri': '/api/v1/items/1', authorization: `Bearer ${token}` });
  say(`warm-up: ${prefill} distinct cold tokens fill the verified-token cache`);
  let prefillUnexpected = 0;
  for (let i = 0; i < prefill; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, prefill - i) }, async () => {
      const res = await fetch(`${url}/auth`, { headers: bearerAt(sign(signer, { ...template, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), exp: exp() })) });
      await res.arrayBuffer();
      if (res.status !== 200) prefillUnexpected++;
    }));
  }

  const counts = new Map<Kind, { sent: number; unexpected: number }>(MIX.map((m) => [m.kind, { sent: 0, unexpected: 0 }]));
  const unexpected: string[] = [];
  const samples: SoakSample[] = [];
  let reloads = 0;
  let rotatedAt: number | undefined;
  let seq = 0;
  const picker = MIX.flatMap((m) => Array.from({ length: m.share }, () => m));

  const send = async (): Promise<void> => {
    const n = seq++;
    const m = picker[(n * 37) % picker.length] ?? MIX[0];
    const headers: Record<string, string> = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': MIDDLE_HOST, 'x-forwarded-uri': `/api/v1/items/${n % 97}` };
    let jar: Map<string, string> | undefined;
    if (m.kind === 'warm') headers['authorization'] = `Bearer ${warm[n % warm.length] ?? ''}`;
    if (m.kind === 'deny') headers['authorization'] = `Bearer ${deny[n % deny.length] ?? ''}`;
    if (m.kind === 'cold') headers['authorization'] = `Bearer ${sign(signer, { ...template, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), exp: exp() })}`;
    // Garbage: not a JWT, or a real token (known kid) with a broken signature. A made-up kid would rightly get 503
    // inside the JWKS refetch cooldown (issue #12 point 1), so it is not garbage with one fixed answer.
    if (m.kind === 'garbage') headers['authorization'] = `Bearer ${n % 2 === 0 ? `not-a-token-${n}` : tamper(warm[n % warm.length] ?? '', n)}`;
    if (m.kind === 'ambiguous') {
      headers['authorization'] = `Bearer ${warm[n % warm.length] ?? ''}`;
      headers['x-forwarded-uri'] = AMBIGUOUS[n % AMBIGUOUS.length] ?? '/api;x';
    }
    if (m.kind === 'session') {
      jar = sessions[n % sessions.length];
      headers['cookie'] = [...(jar ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
      headers['accept'] = 'application/json';
    }
    const c = counts.get(m.kind);
    if (c !== undefined) c.sent++;
    let status: number | string;
    try {
      const res = await fetch(`${url}/auth`, { headers, redirect: 'manual', signal: AbortSignal.timeout(25_000) });
      await res.arrayBuffer();
      status = res.status;
      if (jar !== undefined) updateJar(jar, res.headers.getSetCookie());
    } catch (err) {
      status = err instanceof Error ? err.message : String(err);
    }
    if (status !== m.want) {
      if (c !== undefined) c.unexpected++;
      if (unexpected.length < 20) unexpected.push(`${((performance.now() - started) / 1000).toFixed(0)} s ${m.kind}: got ${status}, want ${m.want}`);
    }
  };

  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const inflight = new Set<Promise<void>>();
  let lastMinute = 0;
  let nextSample = t0;
  say(`traffic: ${rate} requests/s for ${seconds} s`);
  for (let tick = 0; performance.now() < end; tick++) {
    // Fixed rate: each 10 ms tick sends what the schedule owes so far.
    const owed = Math.floor(((performance.now() - t0) / 1000) * rate) - seq;
    for (let i = 0; i < owed; i++) {
      const p = send().finally(() => inflight.delete(p));
      inflight.add(p);
    }
    const elapsed = (performance.now() - t0) / 1000;
    if (Math.floor(elapsed / 60) > lastMinute) {
      lastMinute = Math.floor(elapsed / 60);
      writeFileSync(policyFile, `${middlePolicy()}# reload ${lastMinute}\n`);
      reloads++;
    }
    if (rotatedAt === undefined && elapsed >= seconds * 0.4) {
      await idp.rotateKeys({ keepOld: true });
      signer = await captureSigningKey(idp);
      rotatedAt = elapsed;
      say(`JWKS rotated: new kid ${signer.kid}; cold tokens now signed with it`);
    }
    if (performance.now() >= nextSample) {
      nextSample += 5000;
      samples.push(await sample(url, keygate.pid, elapsed, inflight.size));
      const s = samples[samples.length - 1];
      if (samples.length % 12 === 1 && s !== undefined) say(`RSS ${(s.rssBytes / 2 ** 20).toFixed(1)} MiB, event-loop p99 ${s.lagP99Ms.toFixed(1)} ms, in flight ${s.inflight}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(inflight);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const summary: SoakSummary = {
    seconds, rate, sent: seq, reloads, rotatedAt: rotatedAt ?? -1, prefill, prefillUnexpected,
    reloadsOk: metricValue(metrics, 'keygate_policy_reloads_total', 'result="success"'),
    kinds: MIX.map((m) => ({ kind: m.kind, want: m.want, ...(counts.get(m.kind) ?? { sent: 0, unexpected: 0 }) })),
    unexpected, samples,
  };
  await keygate.stop();
  await idp.close();
  const { markdown, svg } = renderSoak(summary);
  writeFileSync(join(ROOT, 'bench/soak.svg'), svg);
  if (process.env['SOAK_WRITE'] !== '0') writeFileSync(join(ROOT, 'bench/SOAK.md'), markdown);
  process.stdout.write(markdown);
  return prefillUnexpected > 0 || summary.kinds.some((k) => k.unexpected > 0) ? 1 : 0;
}

/** keygate's RSS and the event-loop delay of the last window (prom-client resets its histogram at every scrape). */
async function sample(url: string, pid: number, at: number, inflight: number): Promise<SoakSample> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    at, inflight, rssBytes: rssBytes(pid),
    lagP99Ms: metricValue(text, 'keygate_nodejs_eventloop_lag_p99_seconds') * 1000,
    lagMaxMs: metricValue(text, 'keygate_nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

/** The value of one sample line (`name{labels} value` or `name value`), 0 when absent. */
function metricValue(text: string, name: string, labels = ''): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if ((rest.startsWith(' ') && labels === '') || (rest.startsWith('{') && rest.includes(labels))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** An RS256 JWT with the look-alike's key, as the bench's cold tokens are made. */
function sign(signer: { key: KeyObject; kid: string }, payload: Record<string, unknown>): string {
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: signer.kid })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(signer.key).toString('base64url');
  return `${head}.${body}.${sig}`;
}

/** The token with its signature's first characters replaced (a forged signature over real claims). */
function tamper(token: string, n: number): string {
  const dot = token.lastIndexOf('.');
  return `${token.slice(0, dot + 1)}${String(n % 1000).padStart(3, '0').replace(/\d/g, (d) => 'ABCDEFGHIJ'[Number(d)] ?? 'A')}${token.slice(dot + 4)}`;
}

function parseCookieHeader(header: string): Map<string, string> {
  return new Map(header.split('; ').filter((c) => c.includes('=')).map((c) => [c.slice(0, c.indexOf('=')), c.slice(c.indexOf('=') + 1)]));
}

/** Applies Set-Cookie answers to a session's cookies (a refresh re-seals the session; Max-Age=0 deletes a chunk). */
function updateJar(jar: Map<string, string>, setCookies: readonly string[]): void {
  for (const sc of setCookies) {
    const [pair = ''] = sc.split(';');
    const name = pair.slice(0, pair.indexOf('='));
    if (/;\s*max-age=0/i.test(sc)) jar.delete(name);
    else jar.set(name, pair.slice(pair.indexOf('=') + 1));
  }
}

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`soak failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
} finally {
  await stopAll();
}
process.exit(code);
