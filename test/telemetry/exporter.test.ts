import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchExporter, type DropReason } from '../../src/telemetry/exporter.js';
import type { FinishedSpan } from '../../src/telemetry/otlp-json.js';
import { readTracingSettings, type TracingSettings } from '../../src/telemetry/settings.js';

function settings(env: Record<string, string> = {}): TracingSettings {
  const s = readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.test:4318', OTEL_SERVICE_NAME: 'kg', ...env }).settings;
  assert.ok(s);
  return s;
}

function span(i: number): FinishedSpan {
  return {
    traceId: 'a'.repeat(32), spanId: i.toString(16).padStart(16, '0'), parentSpanId: i === 1 ? 'b'.repeat(16) : undefined, name: 'keygate decision', kind: 2,
    startMs: 1_700_000_000_000.25, endMs: 1_700_000_000_001.5, attributes: { 'keygate.decision': 'deny', 'http.response.status_code': 403, ok: false, ratio: 0.5 }, status: i === 2 ? 2 : 0,
  };
}

test('spans are POSTed as OTLP/HTTP JSON with the resource, scope, hex ids and nanosecond strings', async () => {
  const bodies: { url: string; headers: Headers; body: unknown }[] = [];
  const exporter = new BatchExporter(settings({ OTEL_EXPORTER_OTLP_HEADERS: 'x-key=k1' }), { name: 'keygate', version: '9.9.9' }, {
    fetch: async (input, init) => {
      bodies.push({ url: String(input), headers: new Headers(init?.headers), body: JSON.parse(String(init?.body)) });
      return new Response('{}', { status: 200 });
    },
  });
  exporter.push(span(1));
  exporter.push(span(2));
  await exporter.shutdown();
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0]?.url, 'http://collector.test:4318/v1/traces');
  assert.equal(bodies[0]?.headers.get('content-type'), 'application/json');
  assert.equal(bodies[0]?.headers.get('x-key'), 'k1');
  assert.deepEqual(bodies[0]?.body, {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'kg' } }] },
      scopeSpans: [{
        scope: { name: 'keygate', version: '9.9.9' },
        spans: [1, 2].map((i) => ({
          traceId: 'a'.repeat(32), spanId: i.toString(16).padStart(16, '0'), ...(i === 1 ? { parentSpanId: 'b'.repeat(16) } : {}), name: 'keygate decision', kind: 2,
          startTimeUnixNano: '1700000000000250000', endTimeUnixNano: '1700000000001500000',
          attributes: [
            { key: 'keygate.decision', value: { stringValue: 'deny' } }, { key: 'http.response.status_code', value: { intValue: '403' } },
            { key: 'ok', value: { boolValue: false } }, { key: 'ratio', value: { doubleValue: 0.5 } },
          ],
          status: { code: i === 2 ? 2 : 0 },
        })),
      }],
    }],
  });
});

test('a full batch is exported at once, in batches of the configured size', async () => {
  const sizes: number[] = [];
  const exporter = new BatchExporter(settings({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '3', OTEL_BSP_SCHEDULE_DELAY: '600000' }), { name: 'k', version: '1' }, {
    fetch: async (_i, init) => {
      sizes.push((JSON.parse(String(init?.body)) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }).resourceSpans[0]?.scopeSpans[0]?.spans.length ?? 0);
      return new Response('', { status: 200 });
    },
  });
  for (let i = 1; i <= 7; i++) exporter.push(span(i));
  await exporter.shutdown();
  assert.deepEqual(sizes, [3, 3, 1]);
});

test('a full queue drops and counts spans; a collector that fails, answers 500 or hangs costs only counted spans', async () => {
  const drops: [DropReason, number][] = [];
  const errors: string[] = [];
  const onDrop = (r: DropReason, n: number): void => { drops.push([r, n]); };
  const full = new BatchExporter(settings({ OTEL_BSP_MAX_QUEUE_SIZE: '2', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2', OTEL_BSP_SCHEDULE_DELAY: '600000' }), { name: 'k', version: '1' }, {
    onDrop, fetch: () => new Promise<Response>(() => undefined),
  });
  // The first two fill a batch whose export never ends; the next two fill the queue; the fifth is dropped.
  for (let i = 1; i <= 5; i++) full.push(span(i));
  assert.deepEqual(drops, [['queue_full', 1]]);
  drops.length = 0;
  // AbortSignal.timeout's timer does not hold the event loop open: this one does while the exports run.
  const hold = setTimeout(() => undefined, 10_000);
  for (const [name, fetcher] of [
    ['refused', async () => { throw new TypeError('fetch failed'); }],
    ['500', async () => new Response('boom', { status: 500 })],
    ['hangs', (_i: unknown, init?: RequestInit) => new Promise<Response>((_r, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)))],
  ] as const) {
    const exporter = new BatchExporter(settings({ OTEL_EXPORTER_OTLP_TIMEOUT: '50' }), { name: 'k', version: '1' }, { onDrop, onExportError: (m) => errors.push(m), fetch: fetcher as typeof fetch });
    exporter.push(span(1));
    exporter.push(span(2));
    await exporter.shutdown();
    assert.deepEqual(drops.pop(), ['export_failed', 2], name);
  }
  clearTimeout(hold);
  assert.deepEqual(errors, [
    'trace export to http://collector.test:4318/v1/traces failed: fetch failed; 2 spans dropped',
    'trace export to http://collector.test:4318/v1/traces failed: http://collector.test:4318/v1/traces answered 500; 2 spans dropped',
    'trace export to http://collector.test:4318/v1/traces failed: no answer within 50 ms; 2 spans dropped',
  ]);
});
