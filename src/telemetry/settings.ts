/**
 * Tracing settings from the standard OpenTelemetry environment variables (pure: the environment is passed in).
 * Tracing is off unless OTEL_TRACES_EXPORTER=otlp or an OTLP endpoint is set; OTEL_SDK_DISABLED=true and
 * OTEL_TRACES_EXPORTER=none turn it off. Every value is checked: a bad one is a problem naming the variable, the
 * constraint and the value, reported at start-up like a config error, never a silent fallback.
 */

/** How a root span (no sampled parent) is sampled, and whether a parent's decision is followed. */
export interface SamplerSettings {
  readonly root: 'always_on' | 'always_off' | 'ratio';
  /** Fraction of root traces kept when root is 'ratio' (0 to 1). */
  readonly ratio: number;
  /** Follow the incoming traceparent's sampled flag (the parentbased_* samplers; the default). */
  readonly parentBased: boolean;
}

/** What the tracer needs: where spans go, how they are batched, and what describes this process. */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Deadline of one export request, in ms. */
  readonly timeoutMs: number;
  /** Resource attributes; always holds service.name. */
  readonly resource: Readonly<Record<string, string>>;
  readonly sampler: SamplerSettings;
  /** Spans held for export at most; beyond it new spans are dropped and counted. */
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  /** How often the queue is exported, in ms. */
  readonly scheduleDelayMs: number;
}

/** A bad OTEL_* value: the variable, and the constraint with the value found. */
export interface TracingProblem {
  readonly variable: string;
  readonly message: string;
}

/** The result: settings when tracing is on, and every problem found. */
export interface TracingRead {
  readonly settings?: TracingSettings;
  readonly problems: readonly TracingProblem[];
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_ENDPOINT = 'http://localhost:4318';
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/** Reads the OTEL_* variables keygate honours; see docs/observability.md for the list. */
export function readTracingSettings(env: Env): TracingRead {
  const problems: TracingProblem[] = [];
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  if (value('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { problems };
  const exporter = value('OTEL_TRACES_EXPORTER');
  const tracesEndpoint = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (exporter === 'none') return { problems };
  if (exporter !== undefined && exporter !== 'otlp') {
    problems.push({ variable: 'OTEL_TRACES_EXPORTER', message: `must be otlp or none (keygate exports traces over OTLP/HTTP only), got "${exporter}"` });
    return { problems };
  }
  if (exporter === undefined && tracesEndpoint === undefined && baseEndpoint === undefined) return { problems };

  const endpoint = tracesEndpoint !== undefined ? checkUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint, problems)
    : tracesUrl(checkUrl('OTEL_EXPORTER_OTLP_ENDPOINT', baseEndpoint ?? DEFAULT_ENDPOINT, problems));
  const protocolName = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = value(protocolName);
  if (protocol !== undefined && protocol !== 'http/json') {
    problems.push({ variable: protocolName, message: `must be http/json (keygate sends OTLP/HTTP with JSON bodies, which every OTLP/HTTP receiver accepts), got "${protocol}"` });
  }
  const headersName = value('OTEL_EXPORTER_OTLP_TRACES_HEADERS') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_HEADERS' : 'OTEL_EXPORTER_OTLP_HEADERS';
  const headers = pairs(headersName, value(headersName), problems);
  const resource = pairs('OTEL_RESOURCE_ATTRIBUTES', value('OTEL_RESOURCE_ATTRIBUTES'), problems);
  resource['service.name'] = value('OTEL_SERVICE_NAME') ?? resource['service.name'] ?? 'keygate';
  const timeoutName = value('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TIMEOUT';
  const timeoutMs = integer(timeoutName, value(timeoutName), 10_000, 1, 60_000, problems);
  const maxQueueSize = integer('OTEL_BSP_MAX_QUEUE_SIZE', value('OTEL_BSP_MAX_QUEUE_SIZE'), 2048, 1, 100_000, problems);
  const maxExportBatchSize = integer('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', value('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'), 512, 1, 10_000, problems);
  if (maxExportBatchSize > maxQueueSize) problems.push({ variable: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', message: `must not exceed OTEL_BSP_MAX_QUEUE_SIZE (${maxQueueSize}), got ${maxExportBatchSize}` });
  const scheduleDelayMs = integer('OTEL_BSP_SCHEDULE_DELAY', value('OTEL_BSP_SCHEDULE_DELAY'), 5000, 1, 600_000, problems);
  const sampler = readSampler(value('OTEL_TRACES_SAMPLER'), value('OTEL_TRACES_SAMPLER_ARG'), problems);
  if (problems.length > 0) return { problems };
  return { settings: { endpoint, headers, timeoutMs, resource, sampler, maxQueueSize, maxExportBatchSize, scheduleDelayMs }, problems };
}

function checkUrl(name: string, raw: string, problems: TracingProblem[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push({ variable: name, message: `must be an http or https URL, got "${raw}"` });
    return raw;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push({ variable: name, message: `must be an http or https URL, got "${raw}"` });
  if (url.username !== '' || url.password !== '') problems.push({ variable: name, message: 'must not carry credentials in the URL (use OTEL_EXPORTER_OTLP_HEADERS)' });
  return raw;
}

/** The signal URL from the base endpoint: `/v1/traces` appended to its path (the OTLP exporter rule). */
function tracesUrl(base: string): string {
  return `${base.endsWith('/') ? base.slice(0, -1) : base}/v1/traces`;
}

/** `key=value,key2=value2` with percent-encoded values (the W3C Baggage-like format OTEL_* lists use). */
function pairs(name: string, raw: string | undefined, problems: TracingProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const item of raw.split(',')) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? '' : item.slice(0, eq).trim();
    if (key === '') {
      problems.push({ variable: name, message: `must be a list of key=value pairs separated by ",", got an item "${item.trim()}"` });
      continue;
    }
    try {
      out[key] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      problems.push({ variable: name, message: `the value of "${key}" is not valid percent-encoding` });
    }
  }
  return out;
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number, problems: TracingProblem[]): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    problems.push({ variable: name, message: `must be a whole number from ${min} to ${max}, got "${raw}"` });
    return fallback;
  }
  return n;
}

function readSampler(name: string | undefined, arg: string | undefined, problems: TracingProblem[]): SamplerSettings {
  const chosen = name ?? 'parentbased_always_on';
  if (!(SAMPLERS as readonly string[]).includes(chosen)) {
    problems.push({ variable: 'OTEL_TRACES_SAMPLER', message: `must be one of ${SAMPLERS.join(', ')}, got "${chosen}"` });
    return { root: 'always_on', ratio: 1, parentBased: true };
  }
  const parentBased = chosen.startsWith('parentbased_');
  const base = parentBased ? chosen.slice('parentbased_'.length) : chosen;
  if (base !== 'traceidratio') return { root: base === 'always_off' ? 'always_off' : 'always_on', ratio: 1, parentBased };
  const ratio = arg === undefined ? 1 : Number(arg);
  if (arg !== undefined && (!Number.isFinite(ratio) || ratio < 0 || ratio > 1 || arg.trim() === '')) {
    problems.push({ variable: 'OTEL_TRACES_SAMPLER_ARG', message: `must be a number from 0 to 1 for ${chosen}, got "${arg}"` });
  }
  return { root: 'ratio', ratio: Number.isFinite(ratio) ? ratio : 1, parentBased };
}
