/**
 * Real Prefect 3.9 (PyPI, .venv) for the Prefect example's end-to-end tests: `prefect server start` on SQLite in a
 * temporary PREFECT_HOME, the real `prefect` CLI and Python client, and real Traefik loaded with the shipped
 * examples/prefect/traefik files (only listen address, file path and upstream addresses substituted).
 */
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { freePort, startProcess, tempDir, type Proc } from './proc.js';
import { ROOT } from './proxies.js';

/** The example's public host name (Traefik's router rules and the policy's `hosts`). */
export const PREFECT_HOST = 'prefect.example.com';

/** A running Prefect server. */
export interface PrefectServer {
  /** http://127.0.0.1:<port> (direct, bypassing Traefik and keygate). */
  readonly url: string;
  readonly home: string;
  readonly proc: Proc;
  stop(): Promise<void>;
}

/** Environment every Prefect process gets: its own PREFECT_HOME, no analytics, no proxies, loopback only. */
function baseEnv(home: string, over: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, PREFECT_HOME: home, PREFECT_SERVER_ANALYTICS_ENABLED: 'false', DO_NOT_TRACK: '1', PREFECT_CLI_PROMPT: 'false', PREFECT_LOGGING_LEVEL: 'WARNING', NO_PROXY: '*', ...over };
  return env;
}

/**
 * Starts `prefect server start --host 127.0.0.1 --port <free> --analytics-off --no-services` on SQLite. The UI bundle
 * is copied into PREFECT_UI_STATIC_DIRECTORY (a temp dir) instead of site-packages (REAL-SYSTEMS C.1).
 */
export async function startPrefect(bin: string, env: Record<string, string> = {}, opts: { services?: boolean } = {}): Promise<PrefectServer> {
  const home = tempDir('keygate-prefect-');
  const port = await freePort();
  const args = ['server', 'start', '--host', '127.0.0.1', '--port', String(port), '--analytics-off', ...(opts.services === true ? [] : ['--no-services'])];
  const proc = startProcess(bin, args, {
    cwd: home,
    env: baseEnv(home, {
      PREFECT_SERVER_DATABASE_CONNECTION_URL: `sqlite+aiosqlite:///${join(home, 'prefect.db')}`,
      PREFECT_UI_STATIC_DIRECTORY: join(home, 'ui'),
      ...env,
    }),
  });
  const url = `http://127.0.0.1:${port}`;
  // First start runs Alembic migrations on SQLite: tens of seconds on a loaded 2-core machine.
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`prefect server exited (${proc.child.exitCode}):\n${proc.output().slice(-3000)}`);
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`prefect server not healthy within 180 s:\n${proc.output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { url, home, proc, stop: () => proc.stop() };
}

/** What a finished Prefect CLI or Python run printed. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let resolverDir: string | undefined;
/**
 * A sitecustomize.py that resolves the example's host name to 127.0.0.1 inside Python (the machine has no DNS and
 * /etc/hosts is not ours): httpx and websockets then connect to Traefik with Host and URL exactly as in production.
 */
function hostResolver(): string {
  if (resolverDir !== undefined) return resolverDir;
  resolverDir = tempDir('keygate-pyresolve-');
  writeFileSync(join(resolverDir, 'sitecustomize.py'), `import socket
_getaddrinfo = socket.getaddrinfo
def _loopback(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name == ${JSON.stringify(PREFECT_HOST)}:
        host = '127.0.0.1'
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = _loopback
`);
  return resolverDir;
}

/** Runs a .venv program (`prefect` or `python`) with a fresh PREFECT_HOME and `env`; never throws on exit codes. */
export function runPrefect(bin: string, args: readonly string[], env: Record<string, string>, timeoutMs = 120_000): Promise<RunResult> {
  const home = tempDir('keygate-prefect-cli-');
  mkdirSync(home, { recursive: true });
  return new Promise((resolve) => {
    execFile(bin, args, { cwd: home, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: baseEnv(home, { PYTHONPATH: hostResolver(), COLUMNS: '250', ...env }) }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The venv's python next to the prefect binary. */
export function venvPython(prefectBin: string): string {
  return join(prefectBin, '..', 'python');
}

/** Creates flow `flow` and deployment `name` through the Python client at `apiUrl`; returns their ids. */
export async function createDeployment(prefectBin: string, apiUrl: string, flow: string, name: string, env: Record<string, string> = {}): Promise<{ flowId: string; deploymentId: string }> {
  const script = `
import asyncio, json
from prefect.client.orchestration import get_client
async def main():
    async with get_client() as c:
        fid = await c.create_flow_from_name(${JSON.stringify(flow)})
        did = await c.create_deployment(flow_id=fid, name=${JSON.stringify(name)})
        print(json.dumps({"flowId": str(fid), "deploymentId": str(did)}))
asyncio.run(main())
`;
  const r = await runPrefect(venvPython(prefectBin), ['-c', script], { PREFECT_API_URL: apiUrl, ...env });
  if (r.code !== 0) throw new Error(`creating deployment ${flow}/${name} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as { flowId: string; deploymentId: string };
}

/** Real Traefik with the example's files. */
export interface ExampleTraefik {
  readonly port: number;
  /** http://prefect.example.com:<port> — what browsers and clients use. */
  readonly origin: string;
  readonly proc: Proc;
  readonly dynamicFile: string;
  accessLog(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Upstream addresses substituted into examples/prefect/traefik/dynamic.yml. */
export interface ExampleAddresses {
  readonly keygate: string;
  readonly prefect: string;
  readonly keycloak: string;
}

/** examples/prefect/traefik/traefik.yml with the `web` entry point on 127.0.0.1:`port` and the file provider on `file`. */
export function exampleStatic(port: number, file: string): string {
  const doc = parseDocument(readFileSync(join(ROOT, 'examples/prefect/traefik/traefik.yml'), 'utf8'));
  if (!doc.hasIn(['entryPoints', 'web', 'address'])) throw new Error('examples/prefect/traefik/traefik.yml has no web entry point');
  doc.setIn(['entryPoints', 'web', 'address'], `127.0.0.1:${port}`);
  doc.setIn(['providers', 'file', 'filename'], file);
  // Traefik's own log to stdout at INFO is kept; the access log (JSON) goes to stdout too.
  return doc.toString();
}

/** examples/prefect/traefik/dynamic.yml with keygate's, Prefect's and Keycloak's addresses substituted. */
export function exampleDynamic(a: ExampleAddresses): string {
  const doc = parseDocument(readFileSync(join(ROOT, 'examples/prefect/traefik/dynamic.yml'), 'utf8'));
  const address = doc.getIn(['http', 'middlewares', 'keygate', 'forwardAuth', 'address']);
  if (typeof address !== 'string') throw new Error('examples/prefect/traefik/dynamic.yml has no keygate forwardAuth address');
  doc.setIn(['http', 'middlewares', 'keygate', 'forwardAuth', 'address'], `${a.keygate}${new URL(address).pathname}`);
  for (const [service, url] of [['prefect', a.prefect], ['keycloak', a.keycloak]] as const) {
    if (!doc.hasIn(['http', 'services', service])) throw new Error(`examples/prefect/traefik/dynamic.yml has no service ${service}`);
    doc.setIn(['http', 'services', service, 'loadBalancer', 'servers'], [{ url }]);
  }
  return doc.toString();
}

/** Starts Traefik with the example's files and waits until the Prefect router answers /api/health. */
export async function startExampleTraefik(bin: string, a: ExampleAddresses, port?: number, env: Record<string, string> = {}): Promise<ExampleTraefik> {
  port ??= await freePort();
  const dir = tempDir('keygate-traefik-prefect-');
  const dynamicFile = join(dir, 'dynamic.yml');
  writeFileSync(dynamicFile, exampleDynamic(a));
  writeFileSync(join(dir, 'traefik.yml'), exampleStatic(port, dynamicFile));
  // Only what the files read from the environment (Go templates in dynamic.yml), so no stray setting leaks in.
  const proc = startProcess(bin, [`--configFile=${join(dir, 'traefik.yml')}`], { cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env } });
  const tr: ExampleTraefik = {
    port, origin: `http://${PREFECT_HOST}:${port}`, proc, dynamicFile,
    accessLog: () => proc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: () => proc.stop(),
  };
  const deadline = Date.now() + 30_000;
  let last = '';
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`traefik exited (${proc.child.exitCode}):\n${proc.output()}`);
    try {
      const r = await proxied(tr, '/api/health');
      if (r.status === 200) return tr;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`traefik: the Prefect router did not answer /api/health within 30 s (${last})\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An answer through Traefik. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** A request to `path` through Traefik with Host prefect.example.com:<port>. */
export function proxied(tr: Pick<ExampleTraefik, 'port'>, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return hostRequest(tr.port, `${PREFECT_HOST}:${tr.port}`, path, opts);
}

/** A plain HTTP request to 127.0.0.1:`port` with the given Host header. */
export function hostRequest(port: number, host: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A fresh connection per request, with the body's length: a refused request's unread body never leaks into the next.
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

/**
 * A websocket upgrade request (`Sec-WebSocket-Protocol: prefect`, what Prefect's clients send) through Traefik;
 * resolves with the status of the answer (101 when the upgrade went through). The socket is closed at once.
 */
export function upgradeStatus(tr: Pick<ExampleTraefik, 'port'>, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port: tr.port, path, timeout: 30_000,
      headers: {
        host: `${PREFECT_HOST}:${tr.port}`, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('keygate-e2e-1234').toString('base64'), 'sec-websocket-protocol': 'prefect', ...headers,
      },
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('timeout', () => req.destroy(new Error(`${path}: no upgrade answer within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}
