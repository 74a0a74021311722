/** A small upstream app that echoes the headers it received, and counts the requests that reached it. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running echo upstream. */
export interface Upstream {
  readonly port: number;
  readonly url: string;
  /** Requests that reached the upstream, in order. */
  readonly seen: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

/** Starts the echo upstream on 127.0.0.1. Every answer is JSON of what it received. */
export async function startUpstream(): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server: Server = createServer((req, res) => {
    const rec = { method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } };
    seen.push(rec);
    const body = JSON.stringify(rec);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    port, seen, url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
