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

interface KeyValue {
  key: string;
  value: { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number };
}

function keyValues(attrs: Readonly<Record<string, AttributeValue>>): KeyValue[] {
  const out: KeyValue[] = [];
  for (const key of Object.keys(attrs)) {
    const v = attrs[key];
    if (typeof v === 'string') out.push({ key, value: { stringValue: v } });
    else if (typeof v === 'boolean') out.push({ key, value: { boolValue: v } });
    else if (typeof v === 'number') out.push({ key, value: Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v } });
  }
  return out;
}

/** Unix ms to the nanosecond string OTLP JSON wants (exact to the microsecond). */
function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

/** The body of one POST to /v1/traces. */
export function exportRequest(resource: Readonly<Record<string, string>>, scope: Scope, spans: readonly FinishedSpan[]): string {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: keyValues(resource) },
      scopeSpans: [{
        scope: { name: scope.name, version: scope.version },
        spans: spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId === undefined ? {} : { parentSpanId: s.parentSpanId }),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: nanos(s.startMs),
          endTimeUnixNano: nanos(s.endMs),
          attributes: keyValues(s.attributes),
          status: { code: s.status },
        })),
      }],
    }],
  });
}
