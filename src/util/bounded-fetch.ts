/**
 * One bounded fetch for every call keygate makes to Keycloak (discovery, token, refresh, introspection; openid-client
 * takes it as its `customFetch`): a deadline for the whole answer, body included, and a byte cap on the body, read
 * before the caller sees the Response, so a Keycloak that never answers, trickles, or sends 10 MB costs at most the
 * deadline and the cap (issue #12 point 6).
 */

/** The bounds of one call: whole answer within `timeoutMs`, body at most `maxBytes`. */
export interface FetchBounds {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** Which bound a call hit. */
export type FetchBoundKind = 'timeout' | 'too_large';

/** A call cut off by its bounds; idp-errors names it with the URL and the bound. */
export class FetchBoundError extends Error {
  /** Which bound was hit. */
  readonly kind: FetchBoundKind;
  /** The URL called (no query: it may carry parameters). */
  readonly url: string;
  /** The bound's value (ms or bytes). */
  readonly limit: number;

  constructor(kind: FetchBoundKind, url: string, limit: number, options?: { cause?: unknown }) {
    super(kind === 'timeout' ? `no complete answer within ${limit} ms` : `answer larger than the ${limit}-byte limit`, options);
    this.name = 'FetchBoundError';
    this.kind = kind;
    this.url = url;
    this.limit = limit;
  }
}

/** Type guard for FetchBoundError. */
export function isFetchBoundError(value: unknown): value is FetchBoundError {
  return value instanceof FetchBoundError;
}

/** Statuses whose Response must have a null body (the fetch spec). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Wraps `inner` so every call ends within `bounds.timeoutMs` (a caller's own signal still applies) and its body is
 * read whole, up to `bounds.maxBytes`, before the Response is returned; beyond either bound it rejects with a
 * FetchBoundError and the connection is dropped. The returned Response carries the body as a buffer.
 */
export function boundedFetch(inner: typeof fetch, bounds: FetchBounds): typeof fetch {
  return async (input, init = {}) => {
    const url = urlOf(input);
    const deadline = AbortSignal.timeout(bounds.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    try {
      const res = await inner(input, { ...init, signal });
      const body = await readBody(res, bounds.maxBytes, url);
      return rebuild(res, body, url);
    } catch (err) {
      if (deadline.aborted && !isFetchBoundError(err)) throw new FetchBoundError('timeout', url, bounds.timeoutMs, { cause: err });
      throw err;
    }
  };
}

/** The body's bytes, refusing (and cancelling) it once it exceeds `maxBytes`, whatever Content-Length says. */
export async function readBody(res: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new FetchBoundError('too_large', url, maxBytes);
  }
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FetchBoundError('too_large', url, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** A Response with the same status and headers and the buffered body; `url` is kept so errors can name it. */
function rebuild(res: Response, body: Uint8Array, url: string): Response {
  const headers = new Headers(res.headers);
  // The body is already decoded and whole: these would describe the wire form, not this buffer.
  headers.delete('content-encoding');
  headers.delete('content-length');
  headers.delete('transfer-encoding');
  const out = new Response(NULL_BODY.has(res.status) ? null : body, { status: res.status, statusText: res.statusText, headers });
  Object.defineProperty(out, 'url', { value: res.url === '' ? url : res.url });
  return out;
}

/** The URL of a fetch input, without its query (logs never carry parameters). */
function urlOf(input: string | URL | Request): string {
  const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const q = raw.search(/[?#]/);
  return q === -1 ? raw : raw.slice(0, q);
}
