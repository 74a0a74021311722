import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTraceparent, newSpanId, newTraceId, parseTraceparent } from '../../src/telemetry/trace-context.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

test('traceparent: valid headers parse, invalid ones start a new trace', () => {
  const cases = [
    { name: 'sampled', input: `00-${T}-${S}-01`, want: { traceId: T, spanId: S, sampled: true } },
    { name: 'not sampled', input: `00-${T}-${S}-00`, want: { traceId: T, spanId: S, sampled: false } },
    { name: 'other flags kept apart from sampled', input: `00-${T}-${S}-03`, want: { traceId: T, spanId: S, sampled: true } },
    { name: 'a future version with extra fields', input: `01-${T}-${S}-01-extra`, want: { traceId: T, spanId: S, sampled: true } },
    { name: 'version 00 with extra fields', input: `00-${T}-${S}-01-extra`, want: undefined },
    { name: 'version ff', input: `ff-${T}-${S}-01`, want: undefined },
    { name: 'all-zero trace id', input: `00-${'0'.repeat(32)}-${S}-01`, want: undefined },
    { name: 'all-zero span id', input: `00-${T}-${'0'.repeat(16)}-01`, want: undefined },
    { name: 'upper case', input: `00-${T.toUpperCase()}-${S}-01`, want: undefined },
    { name: 'short trace id', input: `00-${T.slice(1)}-${S}-01`, want: undefined },
    { name: 'garbage', input: 'not a traceparent', want: undefined },
    { name: 'absent', input: undefined, want: undefined },
    { name: 'repeated header', input: [`00-${T}-${S}-01`, `00-${T}-${S}-01`], want: undefined },
  ];
  for (const c of cases) assert.deepEqual(parseTraceparent(c.input), c.want, c.name);
});

test('traceparent: formatted headers parse back to the same context', () => {
  for (const sampled of [true, false]) {
    const ctx = { traceId: newTraceId(), spanId: newSpanId(), sampled };
    assert.match(formatTraceparent(ctx), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.deepEqual(parseTraceparent(formatTraceparent(ctx)), ctx);
  }
});

test('new ids are hex of the right length and do not repeat', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const t = newTraceId();
    const s = newSpanId();
    assert.match(t, /^[0-9a-f]{32}$/);
    assert.match(s, /^[0-9a-f]{16}$/);
    seen.add(t);
    seen.add(s);
  }
  assert.equal(seen.size, 10_000);
});
