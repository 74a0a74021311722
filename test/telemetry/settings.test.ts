import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTracingSettings } from '../../src/telemetry/settings.js';

test('tracing is off without an exporter or endpoint, and when disabled', () => {
  for (const env of [{}, { OTEL_SERVICE_NAME: 'x' }, { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }]) {
    const r = readTracingSettings(env);
    assert.equal(r.settings, undefined, JSON.stringify(env));
    assert.deepEqual(r.problems, []);
  }
});

test('endpoints: the base endpoint gets /v1/traces, the traces endpoint is used as it is, otlp alone means localhost', () => {
  const cases = [
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, want: 'http://collector:4318/v1/traces' },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/' }, want: 'http://collector:4318/base/v1/traces' },
    { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c.example/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored' }, want: 'https://c.example/custom' },
    { env: { OTEL_TRACES_EXPORTER: 'otlp' }, want: 'http://localhost:4318/v1/traces' },
  ];
  for (const { env, want } of cases) assert.equal(readTracingSettings(env).settings?.endpoint, want, JSON.stringify(env));
});

test('defaults follow the OpenTelemetry SDK environment specification', () => {
  const s = readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).settings;
  assert.ok(s);
  assert.deepEqual(s.resource, { 'service.name': 'keygate' });
  assert.deepEqual(s.sampler, { root: 'always_on', ratio: 1, parentBased: true });
  assert.equal(s.timeoutMs, 10_000);
  assert.equal(s.maxQueueSize, 2048);
  assert.equal(s.maxExportBatchSize, 512);
  assert.equal(s.scheduleDelayMs, 5000);
});

test('service name, resource attributes, headers (percent-decoded) and sampler are read', () => {
  const s = readTracingSettings({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 'auth', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=ignored',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-tenant = t1', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25',
    OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500', OTEL_BSP_SCHEDULE_DELAY: '100',
  }).settings;
  assert.ok(s);
  assert.deepEqual(s.resource, { 'deployment.environment': 'prod', 'service.name': 'auth' });
  assert.deepEqual(s.headers, { authorization: 'Bearer abc', 'x-tenant': 't1' });
  assert.deepEqual(s.sampler, { root: 'ratio', ratio: 0.25, parentBased: true });
  assert.equal(s.timeoutMs, 2500);
  assert.equal(s.scheduleDelayMs, 100);
});

test('every bad value is a problem naming the variable, the constraint and the value; tracing stays off', () => {
  const cases: { env: Record<string, string>; want: string[] }[] = [
    { env: { OTEL_TRACES_EXPORTER: 'zipkin' }, want: ['OTEL_TRACES_EXPORTER must be otlp or none (keygate exports traces over OTLP/HTTP only), got "zipkin"'] },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, want: ['OTEL_EXPORTER_OTLP_ENDPOINT must be an http or https URL, got "collector:4318"'] },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://u:p@c:4318' }, want: ['OTEL_EXPORTER_OTLP_ENDPOINT must not carry credentials in the URL (use OTEL_EXPORTER_OTLP_HEADERS)'] },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, want: ['OTEL_EXPORTER_OTLP_PROTOCOL must be http/json (keygate sends OTLP/HTTP with JSON bodies, which every OTLP/HTTP receiver accepts), got "grpc"'] },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }, want: ['OTEL_EXPORTER_OTLP_TIMEOUT must be a whole number from 1 to 60000, got "10s"'] },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER: 'sometimes' }, want: ['OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, got "sometimes"'] },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, want: ['OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 for traceidratio, got "1.5"'] },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, want: ['OTEL_EXPORTER_OTLP_HEADERS must be a list of key=value pairs separated by ",", got an item "novalue"'] },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20' }, want: ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE must not exceed OTEL_BSP_MAX_QUEUE_SIZE (10), got 20'] },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_RESOURCE_ATTRIBUTES: 'a=%zz' }, want: ['OTEL_RESOURCE_ATTRIBUTES the value of "a" is not valid percent-encoding'] },
  ];
  for (const { env, want } of cases) {
    const r = readTracingSettings(env);
    assert.deepEqual(r.problems.map((p) => `${p.variable} ${p.message}`), want, JSON.stringify(env));
    assert.equal(r.settings, undefined);
  }
});
