/** W3C Trace Context (`traceparent`): parsing the incoming header, formatting the outgoing one, new ids. Pure but for ids. */
import { randomFillSync } from 'node:crypto';

/** A span's place in a trace: ids in lowercase hex, and whether the trace is sampled. */
export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * The parent named by a `traceparent` header, or undefined for a missing or invalid one (which starts a new trace,
 * as the spec asks). Version ff, all-zero ids, and a version-00 header with extra fields are invalid; a later
 * version's extra fields are ignored.
 */
export function parseTraceparent(header: string | string[] | undefined): SpanContext | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  if (version === '00' && header.trim().length !== 55) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** The `traceparent` value that makes `ctx` the parent of the next hop. */
export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

// Ids come from one pooled random buffer refilled every POOL / 8 ids, not one crypto call per span.
const POOL = 4096;
const pool = Buffer.alloc(POOL);
let offset = POOL;

function randomHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > POOL) {
      randomFillSync(pool);
      offset = 0;
    }
    const hex = pool.toString('hex', offset, offset + bytes);
    offset += bytes;
    // An all-zero id is invalid: draw again (probability 2^-64 or less).
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** A new 16-byte trace id. */
export function newTraceId(): string {
  return randomHex(16);
}

/** A new 8-byte span id. */
export function newSpanId(): string {
  return randomHex(8);
}
