/** HTTP wiring: bare node:http routes the hot path itself and hands everything else to express. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LimitsConfig } from '../config/types.js';
import type { ProxyKind } from './target.js';

/** The two handlers the server routes between. */
export interface Routes {
  readonly auth: (req: IncomingMessage, res: ServerResponse, proxy: ProxyKind) => void;
  /** Express (or any connect-style) app for every other path. */
  readonly app: (req: IncomingMessage, res: ServerResponse) => void;
}

/** The keygate listener: bound before the service is built, so a taken port fails startup at once. */
export interface HttpServer {
  readonly server: Server;
  /** Installs the routes; until then `/healthz` gets 200 and every other request 503 (the service is starting). */
  route(routes: Routes): void;
  /** From now on every answer closes its connection (graceful shutdown). */
  drain(): void;
}

/** Which hot-path adapter a request URL selects, if any (query string ignored). */
export function hotPath(url: string | undefined): ProxyKind | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/auth' || path === '/auth/') return 'traefik';
  if (path === '/auth/nginx') return 'nginx';
  return undefined;
}

/** The one route that reads a body itself (express.text with the same limit). */
const BODY_READER = '/_keygate/backchannel-logout';

/**
 * Creates the server; `/auth` and `/auth/nginx` never touch express (its per-request cost is 4-5x node:http's).
 * Limits: header blocks over `maxHeaderBytes` get node's 431; bodies over `maxBodyBytes` get 413 and the
 * connection is closed, without being buffered (issue #12 point 7).
 */
export function createHttpServer(limits: LimitsConfig): HttpServer {
  let routes: Routes | undefined;
  let draining = false;
  const server = createServer({ maxHeaderSize: limits.maxHeaderBytes }, (req, res) => {
    if (draining) res.shouldKeepAlive = false;
    const r = routes;
    // Bound before discovery: while starting, the process is alive (liveness) but answers nothing else (fail closed).
    if (r === undefined) return void (pathOf(req.url) === '/healthz' ? okText(res) : plain(res, 503, 'temporarily_unavailable', 'keygate is starting'));
    const proxy = hotPath(req.url);
    const dispatch = (): void => {
      if (proxy !== undefined) r.auth(req, res, proxy);
      else r.app(req, res);
    };
    if (!hasBody(req)) return dispatch();
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > limits.maxBodyBytes) return void tooLarge(req, res, limits.maxBodyBytes);
    // A forward-auth subrequest is decided at once: its declared (bounded) body is drained by the handler. nginx
    // without `proxy_set_header Content-Length ""` declares a body it never sends, so waiting would hang it.
    if (proxy !== undefined && !Number.isNaN(declared)) return dispatch();
    if (proxy === undefined && pathOf(req.url) === BODY_READER) return dispatch();
    // No other endpoint reads a body: discard it (bounded), then answer.
    discardBody(req, limits.maxBodyBytes, dispatch, () => tooLarge(req, res, limits.maxBodyBytes));
  });
  // Proxies keep connections to auth servers alive; outlive their idle timeouts to avoid reset races.
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 80_000;
  server.requestTimeout = 30_000;
  return {
    server,
    route: (r) => { routes = r; },
    drain: () => { draining = true; },
  };
}

function pathOf(url: string | undefined): string {
  const u = url ?? '';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** Reads and drops the body; `over` when it passes `max` bytes (reading stops there), else `done` at its end. */
function discardBody(req: IncomingMessage, max: number, done: () => void, over: () => void): void {
  let seen = 0;
  let stopped = false;
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > max && !stopped) {
      stopped = true;
      req.off('data', onData);
      req.pause();
      over();
    }
  };
  req.on('data', onData);
  req.once('end', () => { if (!stopped) done(); });
  req.once('error', () => { stopped = true; });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, max: number): void {
  // The rest of the body is never read: the connection is closed after the answer.
  res.shouldKeepAlive = false;
  plain(res, 413, 'invalid_request', `request body larger than ${max} bytes (limits.maxBodyBytes)`);
  res.once('finish', () => req.socket.destroy());
}

function okText(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 3 });
  res.end('ok\n');
}

function plain(res: ServerResponse, status: number, error: string, description: string): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ error, error_description: description });
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A listen or bind failure (EADDRINUSE, EACCES, EADDRNOTAVAIL …) with what to change; startup exits non-zero on it. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  /** The node error code, e.g. EADDRINUSE. */
  readonly code: string;
  constructor(what: string, host: string, port: number, setting: string, cause: unknown) {
    const code = typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : 'UNKNOWN';
    super(`cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} (${what}): ${reasonOf(code, cause)}; ${hintOf(code, setting)}`, { cause });
    this.code = code;
  }
}

function reasonOf(code: string, cause: unknown): string {
  switch (code) {
    case 'EADDRINUSE': return 'the address is already in use (EADDRINUSE)';
    case 'EACCES': return 'permission denied (EACCES)';
    case 'EADDRNOTAVAIL': return 'the address is not available on this machine (EADDRNOTAVAIL)';
    default: return `${cause instanceof Error ? cause.message : String(cause)}`;
  }
}

function hintOf(code: string, setting: string): string {
  switch (code) {
    case 'EADDRINUSE': return `stop the other process or choose another port with ${setting}`;
    case 'EACCES': return `ports below 1024 need privileges; choose another port with ${setting}`;
    case 'EADDRNOTAVAIL': return 'set host / $KEYGATE_HOST to an address of this machine (0.0.0.0 or :: for all)';
    default: return `check ${setting} and host / $KEYGATE_HOST`;
  }
}

/** Listens on `port` and `host`; rejects with a ListenError naming `what` and the `setting` that changes it. */
export function listen(server: Server, port: number, host: string, what: string, setting: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: unknown): void => reject(new ListenError(what, host, port, setting, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
