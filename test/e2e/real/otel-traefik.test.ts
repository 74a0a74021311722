/**
 * Tracing end to end (issue 16 point 3): real Traefik 3.7 (the shipped files plus a `tracing` section) and keygate
 * both export to a real OpenTelemetry Collector, which writes spans to a file. keygate's decision span must sit
 * under Traefik's span for the forward-auth call, carry decision, rule, reason and proxy, and never a user, path or
 * token; an IdP call made for a decision (Basic client credentials exchanged at Keycloak) is its child.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it, type TestContext } from 'node:test';
import { startKeygate, type TestKeygate } from '../../support/keygate.js';
import { realKeycloak } from '../../support/keycloak.js';
import { startCollector, type CollectedSpan, type Collector } from '../../support/otelcol.js';
import { requireReal } from '../../support/real-systems.js';
import { startTraefik, traefikRequest, type Traefik } from '../../support/traefik.js';

const REALM = 'kg-accounts';
const POLICY = `version: 1
default: deny
rules:
  - name: health
    paths: [/api/health]
    allow: public
  - name: admin
    paths: ["/api/admin/**"]
    allow: { anyGroup: [/platform] }
  - name: read
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
`;

interface Stack { collector: Collector; kg: TestKeygate; traefik: Traefik; app: Server; aliceToken: string }
let stack: Stack | undefined;
let setup: Promise<Stack | undefined> | undefined;

async function start(t: TestContext): Promise<Stack | undefined> {
  const traefikBin = requireReal(t, 'traefik');
  const collectorBin = requireReal(t, 'otelcol');
  const kc = await realKeycloak(t, REALM);
  if (traefikBin === undefined || collectorBin === undefined || kc === undefined) return undefined;
  const collector = await startCollector(collectorBin);
  const kg = await startKeygate(kc.issuer(REALM), POLICY, {
    env: {
      KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32', KEYGATE_BASIC_CLIENTS: 'ci-runner', KEYGATE_AUTHORIZED_PARTIES: 'keygate,ci-runner',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'keygate', OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
  const app = createServer((_req, res) => res.end('app')).listen(0, '127.0.0.1');
  await new Promise((r) => app.once('listening', r));
  const traefik = await startTraefik(traefikBin, {
    keygate: kg.url, app: `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
    addStatic: (doc) => doc.set('tracing', { serviceName: 'traefik', sampleRate: 1, otlp: { http: { endpoint: `${collector.endpoint}/v1/traces` } } }),
  });
  const aliceToken = (await kc.password(REALM, { id: 'keygate', secret: 'keygate-secret' }, 'alice', 'alice-password')).access_token;
  stack = { collector, kg, traefik, app, aliceToken };
  return stack;
}

/** Waits (bounded) until `want` holds for the spans the collector has written. */
async function spansUntil(c: Collector, want: (spans: CollectedSpan[]) => boolean): Promise<CollectedSpan[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const spans = c.spans();
    if (want(spans)) return spans;
    if (Date.now() > deadline) throw new Error(`spans not complete within 20 s; got:\n${spans.map((s) => `${s.service} ${s.name} ${JSON.stringify(s.attributes)}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('OpenTelemetry: real Traefik -> keygate -> real Collector', () => {
  after(async () => {
    await stack?.traefik.stop();
    await stack?.kg.close();
    await new Promise((r) => stack?.app.close(r) ?? r(undefined));
    await stack?.collector.stop();
  });

  it('keygate\'s decision span is the child of Traefik\'s forward-auth span, for allow, deny, 401 and public', async (t) => {
    const s = await (setup ??= start(t));
    if (s === undefined) return;
    const calls = [
      { uri: '/api/flows?secret-query=1', headers: { authorization: `Bearer ${s.aliceToken}` }, status: 200, decision: 'allow', rule: 'read', reason: 'condition_met' },
      { uri: '/api/admin/settings', headers: { authorization: `Bearer ${s.aliceToken}` }, status: 403, decision: 'deny', rule: 'admin', reason: 'condition_unmet' },
      { uri: '/api/flows', headers: {}, status: 401, decision: 'unauthenticated', rule: 'read', reason: 'no_credentials' },
      { uri: '/api/health', headers: {}, status: 200, decision: 'allow', rule: 'health', reason: 'public' },
    ];
    for (const c of calls) assert.equal((await traefikRequest(s.traefik, c.uri, { host: 'prefect.example.com', headers: c.headers })).status, c.status, c.uri);
    // Traefik exports in its own batches: wait until every keygate decision span's parent has arrived too.
    const spans = await spansUntil(s.collector, (all) => {
      const ids = new Set(all.map((x) => x.spanId));
      const ds = all.filter((x) => x.service === 'keygate' && x.name === 'keygate decision');
      return ds.length >= calls.length && ds.every((x) => ids.has(x.parentSpanId));
    });
    const byId = new Map(spans.map((x) => [x.spanId, x]));
    const decisions = spans.filter((x) => x.service === 'keygate' && x.name === 'keygate decision');
    // startTraefik's readiness probe (GET / on the shipped router) is a decision too.
    assert.ok(decisions.length >= calls.length);
    for (const c of calls) {
      const d = decisions.find((x) => x.attributes['keygate.rule'] === c.rule && x.attributes['keygate.decision'] === c.decision);
      assert.ok(d !== undefined, `a decision span for ${c.uri}`);
      assert.equal(d.kind, 2, 'a server span');
      assert.equal(d.attributes['keygate.reason'], c.reason);
      assert.equal(d.attributes['keygate.proxy'], 'traefik');
      assert.equal(d.attributes['http.response.status_code'], c.status);
      assert.equal(d.attributes['http.request.method'], 'GET');
      const parent = byId.get(d.parentSpanId);
      assert.ok(parent !== undefined, `the parent ${d.parentSpanId} of keygate's span is in the collector`);
      assert.equal(parent.service, 'traefik', 'the parent span is Traefik\'s');
      assert.equal(parent.traceId, d.traceId);
      // Traefik's trace also holds its entry-point span for the request: keygate's span is inside Traefik's trace.
      assert.ok(spans.some((x) => x.service === 'traefik' && x.traceId === d.traceId && x.parentSpanId === ''), 'Traefik\'s root span shares the trace');
    }
    // Never a user, path, query or token in keygate's spans (no enduser.id without tracing.subject).
    const text = JSON.stringify(spans.filter((x) => x.service === 'keygate'));
    for (const secret of ['alice', '/api/', 'secret-query', s.aliceToken.slice(0, 40), 'enduser.id']) assert.ok(!text.includes(secret), `keygate's spans carry no ${secret}`);
  });

  it('an IdP call made for a decision (Basic credentials exchanged at Keycloak\'s token endpoint) is a child of its decision span', async (t) => {
    const s = await (setup ??= start(t));
    if (s === undefined) return;
    const basic = `Basic ${Buffer.from('ci-runner:ci-runner-secret').toString('base64')}`;
    const answer = await traefikRequest(s.traefik, '/api/flows', { host: 'prefect.example.com', headers: { authorization: basic } });
    assert.ok([200, 403].includes(answer.status), `decided, not failed: ${answer.status}`);
    const spans = await spansUntil(s.collector, (all) => {
      const token = all.find((x) => x.name === 'keygate idp token');
      const decision = all.find((x) => x.spanId === token?.parentSpanId);
      return decision !== undefined && all.some((x) => x.spanId === decision.parentSpanId);
    });
    const token = spans.find((x) => x.name === 'keygate idp token');
    assert.ok(token !== undefined);
    assert.equal(token.kind, 3, 'a client span');
    assert.equal(token.attributes['keygate.idp.grant_type'], 'client_credentials');
    assert.equal(token.attributes['http.response.status_code'], 200);
    const parent = spans.find((x) => x.spanId === token.parentSpanId);
    assert.equal(parent?.name, 'keygate decision');
    assert.equal(parent?.traceId, token.traceId);
    assert.equal(spans.find((x) => x.spanId === parent?.parentSpanId)?.service, 'traefik');
  });
});
