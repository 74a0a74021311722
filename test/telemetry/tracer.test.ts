import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FinishedSpan } from '../../src/telemetry/otlp-json.js';
import { DECISION_SPAN, Tracer } from '../../src/telemetry/tracer.js';
import { tracedFetch } from '../../src/telemetry/traced-fetch.js';
import { parseTraceparent } from '../../src/telemetry/trace-context.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const ON = { root: 'always_on', ratio: 1, parentBased: true } as const;

function recording(sampler: ConstructorParameters<typeof Tracer>[0] = ON): { tracer: Tracer; spans: FinishedSpan[] } {
  const spans: FinishedSpan[] = [];
  return { tracer: new Tracer(sampler, { push: (s) => spans.push(s) }), spans };
}

test('a decision span sits under the incoming traceparent and keeps its trace id', () => {
  const { tracer, spans } = recording();
  const span = tracer.startDecision(`00-${T}-${S}-01`);
  span.set('keygate.decision', 'allow');
  span.set('left.out', undefined);
  span.end();
  span.end();
  assert.equal(spans.length, 1);
  const [s] = spans;
  assert.equal(s?.traceId, T);
  assert.equal(s?.parentSpanId, S);
  assert.notEqual(s?.spanId, S);
  assert.equal(s?.name, DECISION_SPAN);
  assert.equal(s?.kind, 2);
  assert.deepEqual(s?.attributes, { 'keygate.decision': 'allow' });
  assert.ok((s?.endMs ?? 0) >= (s?.startMs ?? Infinity));
});

test('without a valid traceparent a decision span starts a new trace', () => {
  const { tracer, spans } = recording();
  tracer.startDecision('garbage').end();
  assert.equal(spans[0]?.parentSpanId, undefined);
  assert.match(spans[0]?.traceId ?? '', /^[0-9a-f]{32}$/);
});

test('sampling: a parent that is not sampled is followed, always_off drops roots, ratio 0 drops and 1 keeps', () => {
  const parentBased = recording();
  parentBased.tracer.startDecision(`00-${T}-${S}-00`).end();
  assert.equal(parentBased.spans.length, 0);
  const off = recording({ root: 'always_off', ratio: 1, parentBased: true });
  off.tracer.startDecision(undefined).end();
  assert.equal(off.spans.length, 0);
  off.tracer.startDecision(`00-${T}-${S}-01`).end();
  assert.equal(off.spans.length, 1, 'a sampled parent is followed');
  const notParentBased = recording({ root: 'always_off', ratio: 1, parentBased: false });
  notParentBased.tracer.startDecision(`00-${T}-${S}-01`).end();
  assert.equal(notParentBased.spans.length, 0);
  const none = recording({ root: 'ratio', ratio: 0, parentBased: true });
  const all = recording({ root: 'ratio', ratio: 1, parentBased: true });
  for (let i = 0; i < 200; i++) {
    none.tracer.startDecision(undefined).end();
    all.tracer.startDecision(undefined).end();
  }
  assert.equal(none.spans.length, 0);
  assert.equal(all.spans.length, 200);
  const half = recording({ root: 'ratio', ratio: 0.5, parentBased: true });
  for (let i = 0; i < 2000; i++) half.tracer.startDecision(undefined).end();
  assert.ok(half.spans.length > 800 && half.spans.length < 1200, `about half of 2000 kept, got ${half.spans.length}`);
});

test('an IdP call inside a decision is its child, across awaits; outside one it is a root span', async () => {
  const { tracer, spans } = recording();
  const seen: (string | null)[] = [];
  const inner: typeof fetch = async (_input, init) => {
    seen.push(new Headers(init?.headers).get('traceparent'));
    return new Response('{}', { status: 200 });
  };
  const traced = tracedFetch(inner, tracer);
  const decision = tracer.startDecision(`00-${T}-${S}-01`);
  await tracer.within(decision, async () => {
    await new Promise((r) => setTimeout(r, 5));
    await traced('http://kc.test:8080/realms/r/protocol/openid-connect/certs');
  });
  decision.end();
  await traced('http://kc.test/realms/r/protocol/openid-connect/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token' }) });
  const [jwks, root, token] = spans;
  assert.equal(jwks?.name, 'keygate idp jwks');
  assert.equal(jwks?.kind, 3);
  assert.equal(jwks?.traceId, T);
  assert.equal(jwks?.parentSpanId, root?.spanId);
  assert.deepEqual(jwks?.attributes, { 'keygate.idp.call': 'jwks', 'http.request.method': 'GET', 'server.address': 'kc.test', 'server.port': 8080, 'http.response.status_code': 200 });
  assert.equal(root?.name, DECISION_SPAN);
  assert.equal(token?.parentSpanId, undefined);
  assert.notEqual(token?.traceId, T);
  assert.equal(token?.attributes['keygate.idp.grant_type'], 'refresh_token');
  assert.equal(parseTraceparent(seen[0] ?? undefined)?.spanId, jwks?.spanId, 'the IdP gets the client span as its parent');
});

test('a failed or 5xx IdP call is an error span, and the failure still reaches the caller', async () => {
  const { tracer, spans } = recording();
  const down = tracedFetch(async () => { throw new TypeError('fetch failed'); }, tracer);
  await assert.rejects(down('http://kc.test/realms/r/protocol/openid-connect/token/introspect', { method: 'POST' }), /fetch failed/);
  const five = tracedFetch(async () => new Response('no', { status: 503 }), tracer);
  assert.equal((await five('http://kc.test/realms/r/.well-known/openid-configuration')).status, 503);
  assert.equal(spans[0]?.name, 'keygate idp introspection');
  assert.equal(spans[0]?.status, 2);
  assert.equal(spans[0]?.attributes['error.type'], 'TypeError');
  assert.equal(spans[1]?.name, 'keygate idp discovery');
  assert.equal(spans[1]?.status, 2);
  assert.equal(spans[1]?.attributes['error.type'], '503');
});
