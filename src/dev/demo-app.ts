/** The demo upstream app of `keygate dev`: a page that shows the identity headers it received. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The identity headers the demo shows. */
const SHOWN = ['x-auth-user', 'x-auth-email', 'x-auth-subject', 'x-auth-name', 'x-auth-roles', 'x-auth-groups'];

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function identity(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(SHOWN.map((h) => [h, typeof req.headers[h] === 'string' ? req.headers[h] : '']));
}

/** Starts the demo app on a loopback address; answers HTML to browsers and JSON to everything else. */
export async function startDemoApp(host: string, port: number): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const id = identity(req);
    const wantsHtml = (req.headers.accept ?? '').includes('text/html');
    if (!wantsHtml) {
      const body = JSON.stringify({ app: 'keygate demo', method: req.method, path: req.url, identity: id });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const rows = SHOWN.map((h) => `<tr><th>${h}</th><td id="${h}">${escapeHtml(id[h] ?? '')}</td></tr>`).join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      `<!doctype html><html><head><meta charset="utf-8"><title>keygate demo app</title></head><body><h1>keygate demo app</h1><p>${escapeHtml(req.method ?? '')} ${escapeHtml(req.url ?? '')}</p><table>${rows}</table><p><a href="/_keygate/logout?rd=/">Sign out</a></p></body></html>`,
    );
  });
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  const p = (server.address() as AddressInfo).port;
  return { port: p, url: `http://${host}:${p}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
