/**
 * Batches finished spans and POSTs them to the OTLP/HTTP endpoint, off the request path. Bounded everywhere: the
 * queue holds at most maxQueueSize spans (beyond it a span is dropped and counted), one export waits at most
 * timeoutMs and reads at most 64 KiB of answer, and one export runs at a time. A failed export is counted and
 * logged (at most once a minute), never retried: a collector that is down costs nothing but the dropped spans.
 */
import { exportRequest, type FinishedSpan, type Scope } from './otlp-json.js';
import { sendOtlp, type OtlpSend } from './otlp-send.js';
import type { TracingSettings } from './settings.js';

/** Why spans were lost: the queue was full, or the collector did not take them. */
export type DropReason = 'queue_full' | 'export_failed';

/** Hooks of the exporter: counting drops, logging a failed export, and the sender to use (tests inject faults). */
export interface ExporterHooks {
  readonly onDrop?: (reason: DropReason, spans: number) => void;
  readonly onExportError?: (message: string) => void;
  readonly send?: OtlpSend;
}
const ERROR_LOG_INTERVAL_MS = 60_000;

/** The queue and the export loop. */
export class BatchExporter {
  readonly #settings: TracingSettings;
  readonly #scope: Scope;
  readonly #hooks: ExporterHooks;
  readonly #timer: NodeJS.Timeout;
  #queue: FinishedSpan[] = [];
  #inFlight: Promise<void> | undefined;
  #lastErrorLog = -Infinity;

  constructor(settings: TracingSettings, scope: Scope, hooks: ExporterHooks = {}) {
    this.#settings = settings;
    this.#scope = scope;
    this.#hooks = hooks;
    this.#timer = setInterval(() => this.#exportSome(), settings.scheduleDelayMs).unref();
  }

  /** Queues one finished span; exports at once when a full batch is waiting. */
  push(span: FinishedSpan): void {
    if (this.#queue.length >= this.#settings.maxQueueSize) {
      this.#hooks.onDrop?.('queue_full', 1);
      return;
    }
    this.#queue.push(span);
    // A full batch is exported on the next turn of the event loop, never inside the request that ended the span.
    if (this.#queue.length === this.#settings.maxExportBatchSize) setImmediate(() => this.#exportSome());
  }

  /** Exports everything queued (each batch within its deadline). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#inFlight !== undefined) await this.#inFlight;
      if (this.#queue.length === 0) return;
      this.#exportSome();
    }
  }

  /** Flushes, then stops the timer. */
  async shutdown(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  #exportSome(): void {
    if (this.#inFlight !== undefined || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#settings.maxExportBatchSize);
    this.#inFlight = this.#send(batch).then(
      () => undefined,
      (err: unknown) => this.#failed(batch.length, err),
    ).finally(() => {
      this.#inFlight = undefined;
      if (this.#queue.length >= this.#settings.maxExportBatchSize) this.#exportSome();
    });
  }

  async #send(batch: readonly FinishedSpan[]): Promise<void> {
    const url = this.#settings.endpoint;
    const body = Buffer.from(exportRequest(this.#settings.resource, this.#scope, batch), 'utf8');
    const status = await (this.#hooks.send ?? sendOtlp)(url, { ...this.#settings.headers, 'content-type': 'application/json' }, body, this.#settings.timeoutMs);
    if (status < 200 || status > 299) throw new Error(`${url} answered ${status}`);
  }

  #failed(spans: number, err: unknown): void {
    this.#hooks.onDrop?.('export_failed', spans);
    const now = Date.now();
    if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = now;
    const reason = err instanceof Error ? (err.name === 'TimeoutError' ? `no answer within ${this.#settings.timeoutMs} ms` : err.message) : String(err);
    this.#hooks.onExportError?.(`trace export to ${this.#settings.endpoint} failed: ${reason}; ${spans} spans dropped`);
  }
}
