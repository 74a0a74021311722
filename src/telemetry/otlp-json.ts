/** Finished spans as an OTLP/HTTP JSON export request (the protobuf JSON mapping: hex ids, int64 as strings). Pure. */

/** A span attribute value: OTLP has string, bool, int and double values; keygate uses the first three. */
export type AttributeValue = string | number | boolean;

/** A finished span, as the exporter queues it. */
export interface FinishedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP SpanKind: 2 server, 3 client. */
  readonly kind: 2 | 3;
  /** Unix time in ms (fractional). */
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** OTLP status code: 0 unset, 2 error. */
  readonly status: 0 | 2;
}

/** The scope every keygate span is reported under. */
export interface Scope {
  readonly name: string;
  readonly version: string;
}

/** One attribute as OTLP JSON (`{"key":…,"value":{"stringValue":…}}`); strings escaped by JSON.stringify. */
function keyValue(key: string, v: AttributeValue): string {
  const value = typeof v === 'string' ? `{"stringValue":${JSON.stringify(v)}}`
    : typeof v === 'boolean' ? `{"boolValue":${v}}`
      : Number.isInteger(v) ? `{"intValue":"${v}"}` : `{"doubleValue":${Number.isFinite(v) ? v : 0}}`;
  return `{"key":${JSON.stringify(key)},"value":${value}}`;
}

function keyValues(attrs: Readonly<Record<string, AttributeValue>>): string {
  let out = '';
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) out += (out === '' ? '' : ',') + keyValue(key, v);
  }
  return `[${out}]`;
}

/** Unix ms to the nanosecond string OTLP JSON wants (exact to the microsecond). */
function nanos(ms: number): string {
  return `${Math.round(ms * 1000)}000`;
}

/** One span; ids are lowercase hex already (checked where they are made), so they need no escaping. */
function spanJson(s: FinishedSpan): string {
  const parent = s.parentSpanId === undefined ? '' : `"parentSpanId":"${s.parentSpanId}",`;
  return `{"traceId":"${s.traceId}","spanId":"${s.spanId}",${parent}"name":${JSON.stringify(s.name)},"kind":${s.kind},`
    + `"startTimeUnixNano":"${nanos(s.startMs)}","endTimeUnixNano":"${nanos(s.endMs)}","attributes":${keyValues(s.attributes)},"status":{"code":${s.status}}}`;
}

/** The body of one POST to /v1/traces, built as a string (no object tree per span). */
export function exportRequest(resource: Readonly<Record<string, string>>, scope: Scope, spans: readonly FinishedSpan[]): string {
  let list = '';
  for (let i = 0; i < spans.length; i++) list += (i === 0 ? '' : ',') + spanJson(spans[i] as FinishedSpan);
  return `{"resourceSpans":[{"resource":{"attributes":${keyValues(resource)}},"scopeSpans":[{"scope":{"name":${JSON.stringify(scope.name)},"version":${JSON.stringify(scope.version)}},"spans":[${list}]}]}]}`;
}
