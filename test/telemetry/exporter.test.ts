import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  const bodies: { url: string; headers: Readonly<Record<string, string>>; body: unknown }[] = [];
  const exporter = new BatchExporter(settings({ OTEL_EXPORTER_OTLP_HEADERS: 'x-key=k1' }), { name: 'keygate', version: '9.9.9' }, {
    send: async (url, headers, body) => {
      bodies.push({ url, headers, body: JSON.parse(body.toString('utf8')) });
      return 200;
    },
  });
  exporter.push(span(1));
  exporter.push(span(2));
  await exporter.shutdown();
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0]?.url, 'http://collector.test:4318/v1/traces');
  assert.deepEqual(bodies[0]?.headers, { 'x-key': 'k1', 'content-type': 'application/json' });
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
    send: async (_url, _headers, body) => {
      sizes.push((JSON.parse(body.toString('utf8')) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }).resourceSpans[0]?.scopeSpans[0]?.spans.length ?? 0);
      return 200;
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
    onDrop, send: () => new Promise<number>(() => undefined),
  });
  // The first two fill a batch, exported on the next turn and never answered; the next two fill the queue; the
  // fifth is dropped.
  full.push(span(1));
  full.push(span(2));
  await new Promise((r) => setImmediate(r));
  for (let i = 3; i <= 5; i++) full.push(span(i));
  assert.deepEqual(drops, [['queue_full', 1]]);
  drops.length = 0;
  // The real sender against a collector that refuses connections, answers 500, or never answers.
  const collector = createServer((req, res) => {
    if (req.url === '/500/v1/traces') res.writeHead(500).end('boom');
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const refused = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
  for (const [name, endpoint] of [['refused', refused], ['500', `${base}/500`], ['hangs', `${base}/hang`]] as const) {
    const exporter = new BatchExporter(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: '50' }), { name: 'k', version: '1' }, { onDrop, onExportError: (m) => errors.push(m.replace(endpoint, '<endpoint>').replace(endpoint, '<endpoint>')) });
    exporter.push(span(1));
    exporter.push(span(2));
    await exporter.shutdown();
    assert.deepEqual(drops.pop(), ['export_failed', 2], name);
  }
  collector.closeAllConnections();
  collector.close();
  assert.deepEqual(errors, [
    `trace export to <endpoint>/v1/traces failed: connect ECONNREFUSED ${refused.slice('http://'.length)}; 2 spans dropped`,
    'trace export to <endpoint>/v1/traces failed: <endpoint>/v1/traces answered 500; 2 spans dropped',
    'trace export to <endpoint>/v1/traces failed: no answer within 50 ms; 2 spans dropped',
  ]);
});
