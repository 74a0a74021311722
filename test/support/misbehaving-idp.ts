/**
 * A server that misbehaves the way a real Keycloak cannot be made to (issue #12 point 6): it accepts connections and
 * never answers, answers late, answers HTML, streams megabytes of JSON, or serves a JWKS with thousands of keys.
 * Tests point one endpoint of the look-alike at it with `redirectFetch` (keygate's code-level `fetch` hook), so the
 * request still crosses a real socket and keygate's real bounds are what cut it off.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What the server does with every request it gets. */
export type Misbehaviour =
  | { readonly kind: 'hang' }
  | { readonly kind: 'slow'; readonly delayMs: number; readonly json: unknown }
  | { readonly kind: 'html' }
  | { readonly kind: 'huge-json'; readonly bytes: number; readonly json: Record<string, unknown> }
  | { readonly kind: 'jwks'; readonly keys: number }
  | { readonly kind: 'status'; readonly status: number; readonly contentType: string; readonly body: string }
  | { readonly kind: 'json'; readonly json: unknown };

/** The running server. */
export interface MisbehavingServer {
  readonly url: string;
  /** Changes what every later request gets. */
  set(b: Misbehaviour): void;
  /** Requests received so far. */
  readonly hits: () => number;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with a behaviour. */
export async function startMisbehavingServer(initial: Misbehaviour): Promise<MisbehavingServer> {
  let behaviour = initial;
  let hits = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    answer(behaviour, req, res, timers);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (b) => { behaviour = b; },
    hits: () => hits,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function answer(b: Misbehaviour, _req: IncomingMessage, res: ServerResponse, timers: Set<NodeJS.Timeout>): void {
  switch (b.kind) {
    case 'hang':
      return; // headers never come
    case 'slow': {
      const t = setTimeout(() => { timers.delete(t); if (!res.destroyed) json(res, 200, b.json); }, b.delayMs);
      timers.add(t);
      return;
    }
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>');
      return;
    case 'huge-json':
      void streamHuge(res, b.json, b.bytes);
      return;
    case 'jwks':
      // Tiny (unusable) entries: 10,000 of them stay under the byte limit, so the key-count bound is what fails.
      json(res, 200, { keys: Array.from({ length: b.keys }, (_, i) => ({ kty: 'RSA', kid: `k${i}` })) });
      return;
    case 'status':
      res.writeHead(b.status, { 'content-type': b.contentType }).end(b.body);
      return;
    case 'json':
      json(res, 200, b.json);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A valid JSON object of about `bytes` bytes (`json` plus a padding field), written with backpressure and no Content-Length. */
async function streamHuge(res: ServerResponse, body: Record<string, unknown>, bytes: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  const head = JSON.stringify(body).slice(0, -1);
  const chunk = 'x'.repeat(64 * 1024);
  res.write(`${head},"pad":"`);
  for (let sent = 0; sent < bytes && !res.destroyed; sent += chunk.length) {
    if (!res.write(chunk)) await new Promise((r) => { res.once('drain', r); res.once('close', r); });
  }
  if (!res.destroyed) res.end('"}');
}

/** A fetch that sends requests whose URL (without query) is in `urls` to `to` (same path), and the rest where they go. */
export function redirectFetch(urls: () => readonly string[], to: () => string): typeof fetch {
  return (input, init) => {
    const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(raw);
    const bare = `${url.origin}${url.pathname}`;
    if (!urls().includes(bare)) return fetch(input, init);
    return fetch(new URL(`${url.pathname}${url.search}`, to()), init);
  };
}
