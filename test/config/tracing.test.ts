import assert from 'node:assert/strict';
import { it } from 'node:test';
import { errorsOf, run, valueOf, warningsOf } from './support.js';

it('tracing is off by default and on with an OTLP endpoint; tracing.subject is the opt-in for enduser.id', () => {
  assert.equal(valueOf(run({})).tracing, undefined);
  const on = valueOf(run({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', KEYGATE_TRACE_SUBJECT: 'true' } })).tracing;
  assert.equal(on?.endpoint, 'http://collector:4318/v1/traces');
  assert.equal(on?.subject, true);
  assert.equal(valueOf(run({ env: { OTEL_TRACES_EXPORTER: 'otlp' } })).tracing?.subject, false);
});

it('a bad OTEL_* value is a config error naming the variable; keygate check and start-up report it', () => {
  const r = run({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' } });
  assert.equal(r.value, undefined);
  assert.deepEqual(errorsOf(r), [
    '$OTEL_EXPORTER_OTLP_ENDPOINT: must be an http or https URL, got "collector:4318"',
    '$OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 for traceidratio, got "half"',
  ]);
});

it('tracing.subject without tracing on warns that it has no effect', () => {
  assert.deepEqual(warningsOf(run({ env: { KEYGATE_TRACE_SUBJECT: 'true' } })), ['$KEYGATE_TRACE_SUBJECT: is true but tracing is off (no OTEL_TRACES_EXPORTER=otlp or OTEL_EXPORTER_OTLP_ENDPOINT): it has no effect']);
});
