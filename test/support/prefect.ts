/**
 * Real Prefect 3.9 (PyPI, .venv) for the Prefect example's end-to-end tests: `prefect server start` on SQLite in a
 * temporary PREFECT_HOME, the real `prefect` CLI and Python client, and real Traefik loaded with the shipped
 * examples/prefect/traefik files (only listen address, file path and upstream addresses substituted).
 */
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostRequest, startExampleTraefikFiles, type HostAnswer, type RunningExampleTraefik } from './example-traefik.js';
import { freePort, startProcess, tempDir, type Proc } from './proc.js';

export { hostRequest } from './example-traefik.js';

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

/** Real Traefik with the example's files (test/support/example-traefik.ts). */
export type ExampleTraefik = RunningExampleTraefik;

/** An answer through Traefik. */
export type Answer = HostAnswer;

/** Upstream addresses substituted into examples/prefect/traefik/dynamic.yml. */
export interface ExampleAddresses {
  readonly keygate: string;
  readonly prefect: string;
  readonly keycloak: string;
}

/** Starts Traefik with the Prefect example's files and waits until the Prefect router answers /api/health. */
export function startExampleTraefik(bin: string, a: ExampleAddresses, port?: number, env: Record<string, string> = {}): Promise<ExampleTraefik> {
  return startExampleTraefikFiles(bin, {
    example: 'prefect', host: PREFECT_HOST, keygate: a.keygate, services: { prefect: a.prefect, keycloak: a.keycloak }, readyPath: '/api/health',
    ...(port !== undefined ? { port } : {}), env,
  });
}

/** A request to `path` through Traefik with Host prefect.example.com:<port>. */
export function proxied(tr: Pick<ExampleTraefik, 'port'>, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return hostRequest(tr.port, `${PREFECT_HOST}:${tr.port}`, path, opts);
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
