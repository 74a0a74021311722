/**
 * keygate's tracer: one server span per decision, a client span per IdP call beneath it. Spans are created only
 * when tracing is on (main.ts passes no tracer otherwise, and the hot path checks for it once), so tracing off costs
 * nothing. The current decision span travels with the request's async work through AsyncLocalStorage, entered only
 * when tracing is on, so an IdP call started by a decision (a JWKS fetch, a token refresh) becomes its child.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { BatchExporter, type ExporterHooks } from './exporter.js';
import type { AttributeValue, FinishedSpan, Scope } from './otlp-json.js';
import type { SamplerSettings, TracingSettings } from './settings.js';
import { newSpanId, newTraceId, parseTraceparent, type SpanContext } from './trace-context.js';

/** Where finished spans go (the batch exporter, or a test's list). */
export interface SpanSink {
  push(span: FinishedSpan): void;
}

/** One span being recorded. Attributes may be set until end(); end() is idempotent. */
export class Span {
  readonly context: SpanContext;
  readonly #sink: SpanSink;
  readonly #name: string;
  readonly #kind: 2 | 3;
  readonly #parentSpanId: string | undefined;
  readonly #startMs: number;
  readonly #attributes: Record<string, AttributeValue> = {};
  #status: 0 | 2 = 0;
  #ended = false;

  constructor(sink: SpanSink, name: string, kind: 2 | 3, context: SpanContext, parentSpanId: string | undefined) {
    this.#sink = sink;
    this.#name = name;
    this.#kind = kind;
    this.context = context;
    this.#parentSpanId = parentSpanId;
    this.#startMs = nowMs();
  }

  /** Sets an attribute; an undefined value is left out. */
  set(key: string, value: AttributeValue | undefined): void {
    if (value !== undefined) this.#attributes[key] = value;
  }

  /** Marks the span as failed (OTLP status ERROR). */
  fail(): void {
    this.#status = 2;
  }

  /** Ends the span; a sampled span is queued for export. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.context.sampled) return;
    this.#sink.push({
      traceId: this.context.traceId, spanId: this.context.spanId, parentSpanId: this.#parentSpanId, name: this.#name,
      kind: this.#kind, startMs: this.#startMs, endMs: nowMs(), attributes: this.#attributes, status: this.#status,
    });
  }
}

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The decision span's name: fixed, so no user, path or token ever reaches a span name. */
export const DECISION_SPAN = 'keygate decision';

/** Creates spans and keeps the current one. */
export class Tracer {
  readonly #sink: SpanSink;
  readonly #sampler: SamplerSettings;
  readonly #current = new AsyncLocalStorage<Span>();
  readonly #exporter: BatchExporter | undefined;
  /** Whether decision spans carry the subject id (`enduser.id`): opt-in (config traceSubject). */
  readonly subject: boolean;

  constructor(sampler: SamplerSettings, sink: SpanSink, options: { subject?: boolean; exporter?: BatchExporter } = {}) {
    this.#sampler = sampler;
    this.#sink = sink;
    this.#exporter = options.exporter;
    this.subject = options.subject ?? false;
  }

  /** A server span for one forward-auth decision, under the incoming `traceparent` when there is a valid one. */
  startDecision(traceparent: string | string[] | undefined): Span {
    const parent = parseTraceparent(traceparent);
    const traceId = parent?.traceId ?? newTraceId();
    const sampled = this.#sampled(parent, traceId);
    return new Span(this.#sink, DECISION_SPAN, 2, { traceId, spanId: newSpanId(), sampled }, parent?.spanId);
  }

  /** A client span for one call to the IdP: a child of the current decision span, or a root span outside one. */
  startClient(name: string): Span {
    const parent = this.#current.getStore()?.context;
    const traceId = parent?.traceId ?? newTraceId();
    const sampled = parent !== undefined ? parent.sampled : this.#sampled(undefined, traceId);
    return new Span(this.#sink, name, 3, { traceId, spanId: newSpanId(), sampled }, parent?.spanId);
  }

  /** Runs `fn` with `span` as the current span (for the async work it starts, too). */
  within<T>(span: Span, fn: () => T): T {
    return this.#current.run(span, fn);
  }

  /** Exports every finished span (SIGTERM, tests). */
  async flush(): Promise<void> {
    await this.#exporter?.flush();
  }

  /** Flushes and stops the export timer. */
  async shutdown(): Promise<void> {
    await this.#exporter?.shutdown();
  }

  #sampled(parent: SpanContext | undefined, traceId: string): boolean {
    if (parent !== undefined && this.#sampler.parentBased) return parent.sampled;
    if (this.#sampler.root === 'always_on') return true;
    if (this.#sampler.root === 'always_off') return false;
    // traceidratio: the trace id's last 52 bits against the ratio, so every service sampling by ratio agrees.
    return parseInt(traceId.slice(-13), 16) / 2 ** 52 < this.#sampler.ratio;
  }
}

/** Options of createTracer: the exporter's hooks, keygate's version (the instrumentation scope's) and the subject opt-in. */
export interface TracerOptions extends ExporterHooks {
  readonly version?: string;
  readonly subject?: boolean;
}

/** A tracer exporting over OTLP/HTTP as `settings` say. */
export function createTracer(settings: TracingSettings, hooks: TracerOptions = {}): Tracer {
  const scope: Scope = { name: 'keygate', version: hooks.version ?? 'unknown' };
  const exporter = new BatchExporter(settings, scope, hooks);
  return new Tracer(settings.sampler, exporter, { subject: hooks.subject ?? false, exporter });
}
