/**
 * A small gateway that applies forward-auth the way Traefik's forwardAuth does: every request is first sent to
 * keygate's /auth with X-Forwarded-* headers; a 2xx lets it through with the auth answer's identity headers (and
 * its Set-Cookie, like `addAuthCookiesToResponse`); anything else is returned to the client as is.
 * For the local demo and tests only.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of the gateway. */
export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  /** keygate's /auth URL, e.g. http://127.0.0.1:4181/auth. */
  readonly authUrl: string;
  /** The upstream app, e.g. http://127.0.0.1:8080. */
  readonly upstream: string;
  /** Headers copied from the auth answer into the upstream request (Traefik's authResponseHeaders). */
  readonly authResponseHeaders: readonly string[];
}

/** A running gateway. */
export interface Gateway {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'content-length', 'host']);

/** Starts the gateway. */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const server = createServer((req, res) => {
    handle(o, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway\n');
    });
  });
  await new Promise<void>((r) => server.listen(o.port, o.host, () => r()));
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://${o.host}:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** The forward-auth subrequest over node:http (fetch would replace Sec-Fetch-Mode, hiding navigations). */
function authRequest(o: GatewayOptions, req: IncomingMessage): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && typeof v === 'string') headers[k] = v;
  headers['x-forwarded-method'] = req.method ?? 'GET';
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-uri'] = req.url ?? '/';
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  const u = new URL(o.authUrl);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end();
  });
}

async function handle(o: GatewayOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const auth = await authRequest(o, req);
  const setCookie = auth.headers['set-cookie'];
  const cookies = setCookie ?? [];
  if (auth.status < 200 || auth.status > 299) {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(auth.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
    out['content-length'] = String(auth.body.length);
    res.writeHead(auth.status, out);
    res.end(auth.body);
    return;
  }
  const up = new URL(o.upstream);
  const fwd: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'connection') fwd[k] = v;
  for (const name of o.authResponseHeaders) {
    const v = auth.headers[name.toLowerCase()];
    delete fwd[name.toLowerCase()];
    if (typeof v === 'string') fwd[name.toLowerCase()] = v;
  }
  const proxied = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: fwd }, (ur) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(ur.headers)) if (v !== undefined && k !== 'connection' && k !== 'transfer-encoding') out[k] = v;
    if (cookies.length > 0) out['set-cookie'] = [...(Array.isArray(out['set-cookie']) ? out['set-cookie'] : []), ...cookies];
    res.writeHead(ur.statusCode ?? 502, out);
    ur.pipe(res);
  });
  proxied.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('upstream unavailable\n');
  });
  req.pipe(proxied);
}
