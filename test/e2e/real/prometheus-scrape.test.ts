/**
 * A real Prometheus (3.x, scripts/versions.env) scrapes a running keygate's /metrics every second; a query through
 * its HTTP API returns keygate_decisions_total by decision and rule with the counts this test drove. The identity
 * provider is the look-alike: the point here is the real Prometheus, not the tokens.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../../dev/idp/types.js';
import { startTestIdp } from '../../support/idp.js';
import { startKeygate, type TestKeygate } from '../../support/keygate.js';
import { freePort, startProcess, tempDir, waitForHttp, type Proc } from '../../support/proc.js';
import { requireReal } from '../../support/real-systems.js';

const POLICY = `version: 1
default: deny
rules:
  - name: health
    paths: [/api/health]
    allow: public
  - name: flows-write
    paths: ["/api/flows/**"]
    methods: [POST]
    allow: { anyRole: [engineer] }
  - name: api-read
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
`;

const QUERY = 'sum by (decision, rule) (keygate_decisions_total)';

/** A running Prometheus with its HTTP API on 127.0.0.1. */
interface Prometheus {
  readonly url: string;
  readonly proc: Proc;
}

/** Starts Prometheus scraping `target` (host:port) every second, with its config and TSDB in a temp dir. */
async function startPrometheus(bin: string, target: string): Promise<Prometheus> {
  const dir = tempDir('keygate-prometheus-');
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: keygate',
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n'));
  const proc = startProcess(bin, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`, proc, 30_000);
  return { url, proc };
}

/** One instant-vector sample of a query answer. */
interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** Runs an instant query through Prometheus's HTTP API (/api/v1/query) and returns its vector. */
async function query(prom: Prometheus, q: string): Promise<Sample[]> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(5000) });
  const body = await res.json() as { status: string; error?: string; data?: { resultType: string; result: Sample[] } };
  assert.equal(body.status, 'success', `query ${q}: ${body.error ?? res.status}`);
  assert.equal(body.data?.resultType, 'vector');
  return body.data.result;
}

/** The answer as "decision rule" → value, sorted, for comparing with what the test drove. */
function byDecisionAndRule(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) out[`${s.metric['decision'] ?? '?'} ${s.metric['rule'] ?? '?'}`] = Number(s.value[1]);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Polls `q` every 250 ms until `done` holds for its answer; fails with the last answer after `ms`. */
async function pollUntil(prom: Prometheus, q: string, done: (s: Sample[]) => boolean, ms = 20_000): Promise<Sample[]> {
  const deadline = Date.now() + ms;
  let last: Sample[] = [];
  while (Date.now() < deadline) {
    assert.equal(prom.proc.child.exitCode, null, `Prometheus exited:\n${prom.proc.output()}`);
    last = await query(prom, q);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`${q} did not reach the expected answer within ${ms} ms; last answer ${JSON.stringify(byDecisionAndRule(last))}`);
}

describe('real Prometheus scrapes keygate', () => {
  let idp: KeycloakLookalike | undefined;
  let kg: TestKeygate | undefined;
  let prom: Prometheus | undefined;
  after(async () => {
    await prom?.proc.stop();
    await kg?.close();
    await idp?.close();
  });

  it('a query through its HTTP API returns keygate_decisions_total by decision and rule, with the counts driven', async (t) => {
    const bin = requireReal(t, 'prometheus');
    if (bin === undefined) return;
    idp = await startTestIdp();
    kg = await startKeygate(idp.issuer, POLICY);
    prom = await startPrometheus(bin, new URL(kg.url).host);
    const alice = await idp.mintAccessToken({}, { user: 'alice' });
    const bob = await idp.mintAccessToken({}, { user: 'bob' });
    const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}`, accept: 'application/json' });

    // Each kind a different number of times, so a swapped label or a lost sample changes the answer.
    const drive: Array<{ n: number; as?: string; method: string; uri: string; status: number }> = [
      { n: 5, as: alice, method: 'GET', uri: '/api/flows', status: 200 },
      { n: 2, as: bob, method: 'POST', uri: '/api/flows/abc', status: 200 },
      { n: 3, as: alice, method: 'POST', uri: '/api/flows/abc', status: 403 },
      { n: 4, method: 'GET', uri: '/api/flows', status: 401 },
      { n: 1, as: 'not-a-token', method: 'GET', uri: '/api/flows', status: 401 },
      { n: 6, method: 'GET', uri: '/api/health', status: 200 },
      { n: 7, as: alice, method: 'GET', uri: '/elsewhere', status: 403 },
    ];
    // First half before Prometheus has seen a sample, second half after: the counters are read as they grow.
    const send = async (half: 0 | 1): Promise<void> => {
      for (const d of drive) {
        for (let i = half === 0 ? 0 : Math.ceil(d.n / 2); i < (half === 0 ? Math.ceil(d.n / 2) : d.n); i++) {
          const res = await kg!.auth(d.method, 'prefect.example.com', d.uri, d.as === undefined ? { accept: 'application/json' } : bearer(d.as));
          assert.equal(res.status, d.status, `${d.method} ${d.uri}`);
          await res.arrayBuffer();
        }
      }
    };
    await send(0);
    await pollUntil(prom, 'up{job="keygate"}', (s) => s.length === 1 && s[0]?.value[1] === '1');
    await send(1);

    const want = {
      'allow api-read': 5,
      'allow flows-write': 2,
      'allow health': 6,
      'deny (default)': 7,
      'deny flows-write': 3,
      'unauthenticated (none)': 1, // an invalid token is refused before any rule is consulted
      'unauthenticated api-read': 4,
    };
    const total = Object.values(want).reduce((a, b) => a + b, 0);
    const got = await pollUntil(prom, QUERY, (s) => s.reduce((a, x) => a + Number(x.value[1]), 0) >= total);
    assert.deepEqual(byDecisionAndRule(got), want);
    // The scrape is keygate's own exposition: Prometheus's numbers are the ones /metrics shows.
    const text = await kg.metrics();
    assert.match(text, /^keygate_decisions_total\{decision="deny",rule="\(default\)",reason="default_deny"\} 7$/m);
  });
});
