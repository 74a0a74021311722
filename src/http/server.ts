/** HTTP wiring: bare node:http routes the hot path itself and hands everything else to express. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ProxyKind } from './target.js';

/** The two handlers the server routes between. */
export interface Routes {
  readonly auth: (req: IncomingMessage, res: ServerResponse, proxy: ProxyKind) => void;
  /** Express (or any connect-style) app for every other path. */
  readonly app: (req: IncomingMessage, res: ServerResponse) => void;
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

/** Creates the server; `/auth` and `/auth/nginx` never touch express (its per-request cost is 4-5x node:http's). */
export function createHttpServer(routes: Routes): Server {
  const server = createServer((req, res) => {
    const proxy = hotPath(req.url);
    if (proxy !== undefined) routes.auth(req, res, proxy);
    else routes.app(req, res);
  });
  // Proxies keep connections to auth servers alive; outlive their idle timeouts to avoid reset races.
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 80_000;
  server.requestTimeout = 30_000;
  return server;
}
