/** The demo upstream app of `keygate dev`: a page that shows the identity headers it received. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoPage, SHOWN } from './demo-page.js';

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
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(demoPage(req.method ?? '', req.url ?? '', id));
  });
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  const p = (server.address() as AddressInfo).port;
  return { port: p, url: `http://${host}:${p}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
