/**
 * Real Traefik loaded with an example's own files (examples/<name>/traefik/{traefik.yml,dynamic.yml}), with only the
 * `web` entry point's address, the file provider's path, keygate's address and the services' servers substituted.
 */
import { request as httpRequest } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { freePort, startProcess, tempDir, type Proc } from './proc.js';
import { ROOT } from './proxies.js';

/** What the test substitutes into an example's Traefik files. */
export interface ExampleTraefikOptions {
  /** Directory name under examples/. */
  readonly example: string;
  /** The example's public host (router rules, Host header of the readiness probe). */
  readonly host: string;
  /** keygate's base URL (the middleware's address keeps its path, /auth). */
  readonly keygate: string;
  /** Server URL per service name of dynamic.yml; every service of the file must be given one. */
  readonly services: Readonly<Record<string, string>>;
  /** A path on `host` that answers 200 once the routers are loaded (a public route). */
  readonly readyPath: string;
  readonly port?: number;
  /** Environment for the Go templates of dynamic.yml (e.g. a secret a middleware reads); PATH is always set. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running Traefik with an example's files. */
export interface RunningExampleTraefik {
  readonly port: number;
  /** http://<host>:<port>: what browsers and clients use. */
  readonly origin: string;
  readonly proc: Proc;
  /** The substituted dynamic file Traefik watches. */
  readonly dynamicFile: string;
  /** Traefik's JSON access log, one object per request. */
  accessLog(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The example's static file with `web` on 127.0.0.1:`port` and the file provider on `file`. */
export function exampleStaticFile(example: string, port: number, file: string): string {
  const path = `examples/${example}/traefik/traefik.yml`;
  const doc = parseDocument(readFileSync(join(ROOT, path), 'utf8'));
  if (!doc.hasIn(['entryPoints', 'web', 'address'])) throw new Error(`${path} has no web entry point`);
  doc.setIn(['entryPoints', 'web', 'address'], `127.0.0.1:${port}`);
  doc.setIn(['providers', 'file', 'filename'], file);
  return doc.toString();
}

/** The example's dynamic file with keygate's address and every service's server substituted. */
export function exampleDynamicFile(o: Pick<ExampleTraefikOptions, 'example' | 'keygate' | 'services'>): string {
  const path = `examples/${o.example}/traefik/dynamic.yml`;
  const doc = parseDocument(readFileSync(join(ROOT, path), 'utf8'));
  const address = doc.getIn(['http', 'middlewares', 'keygate', 'forwardAuth', 'address']);
  if (typeof address !== 'string') throw new Error(`${path} has no keygate forwardAuth address`);
  doc.setIn(['http', 'middlewares', 'keygate', 'forwardAuth', 'address'], `${o.keygate}${new URL(address).pathname}`);
  const declared = doc.getIn(['http', 'services']) as { items?: Array<{ key: { value?: unknown } }> } | undefined;
  const names = (declared?.items ?? []).map((i) => String(i.key.value));
  for (const name of names) {
    const url = o.services[name];
    if (url === undefined) throw new Error(`${path}: service ${name} has no address in the test`);
    doc.setIn(['http', 'services', name, 'loadBalancer', 'servers'], [{ url }]);
  }
  for (const name of Object.keys(o.services)) if (!names.includes(name)) throw new Error(`${path} has no service ${name}`);
  return doc.toString();
}

/** Starts Traefik with the example's files and waits (bounded) until `readyPath` on the host answers 200. */
export async function startExampleTraefikFiles(bin: string, o: ExampleTraefikOptions): Promise<RunningExampleTraefik> {
  const port = o.port ?? await freePort();
  const dir = tempDir(`keygate-traefik-${o.example}-`);
  const dynamicFile = join(dir, 'dynamic.yml');
  writeFileSync(dynamicFile, exampleDynamicFile(o));
  writeFileSync(join(dir, 'traefik.yml'), exampleStaticFile(o.example, port, dynamicFile));
  // Only PATH: nothing from the caller's environment leaks into Traefik's configuration.
  const proc = startProcess(bin, [`--configFile=${join(dir, 'traefik.yml')}`], { cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...o.env } });
  const tr: RunningExampleTraefik = {
    port, origin: `http://${o.host}:${port}`, proc, dynamicFile,
    accessLog: () => proc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: () => proc.stop(),
  };
  const deadline = Date.now() + 30_000;
  let last = '';
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`traefik exited (${proc.child.exitCode}):\n${proc.output()}`);
    try {
      const r = await hostRequest(port, `${o.host}:${port}`, o.readyPath);
      if (r.status === 200) return tr;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`traefik (${o.example}): ${o.readyPath} on ${o.host} did not answer 200 within 30 s (${last})\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An HTTP answer. */
export interface HostAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** A plain HTTP request to 127.0.0.1:`port` with the given Host header, on a fresh connection. */
export function hostRequest(port: number, host: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HostAnswer> {
  return new Promise((resolve, reject) => {
    const length = opts.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(opts.body)) };
    const req = httpRequest({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: false, headers: { host, ...length, ...opts.headers }, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within 30 s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
