/**
 * A real OpenTelemetry Collector (built by scripts/real-systems.sh: OTLP receiver, file exporter) that writes every
 * span it receives to a file, and a reader of that file as flat spans with their service name.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, tempDir, type Proc } from './proc.js';

/** One span as the collector wrote it, flattened: its resource's service.name and its attributes as a record. */
export interface CollectedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly status: number;
}

/** A running collector. */
export interface Collector {
  /** Base OTLP/HTTP URL (http://127.0.0.1:<port>): OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly proc: Proc;
  /** Every span written so far. */
  spans(): CollectedSpan[];
  stop(): Promise<void>;
}

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind?: number; attributes?: { key: string; value: OtlpValue }[]; status?: { code?: number } }
interface OtlpLine { resourceSpans?: { resource?: { attributes?: { key: string; value: OtlpValue }[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[] }

function plain(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  return v.doubleValue ?? '';
}

function attributes(list: { key: string; value: OtlpValue }[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const a of list ?? []) out[a.key] = plain(a.value);
  return out;
}

/** Starts the collector on a free loopback port; it writes spans to a file in a temporary folder. */
export async function startCollector(bin: string): Promise<Collector> {
  const dir = tempDir('keygate-otelcol-');
  const port = await freePort();
  const file = join(dir, 'spans.jsonl');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, [
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      http:',
    `        endpoint: 127.0.0.1:${port}`,
    'exporters:',
    '  file:',
    `    path: ${file}`,
    '    flush_interval: 100ms',
    'service:',
    '  telemetry:',
    '    metrics:',
    '      level: none',
    '  pipelines:',
    '    traces:',
    '      receivers: [otlp]',
    '      exporters: [file]',
    '',
  ].join('\n'));
  const proc = startProcess(bin, [`--config=${config}`], { cwd: dir });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`the collector exited (${proc.child.exitCode}):\n${proc.output()}`);
    // The OTLP/HTTP receiver answers an empty export with 200 once it listens.
    const ok = await fetch(`${endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(1000) })
      .then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the collector did not listen within 20 s:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint, proc,
    spans() {
      if (!existsSync(file)) return [];
      const out: CollectedSpan[] = [];
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        for (const rs of (JSON.parse(line) as OtlpLine).resourceSpans ?? []) {
          const service = String(attributes(rs.resource?.attributes)['service.name'] ?? '');
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              out.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, kind: s.kind ?? 0, attributes: attributes(s.attributes), status: s.status?.code ?? 0 });
            }
          }
        }
      }
      return out;
    },
    stop: () => proc.stop(),
  };
}
