/** Real Caddy in front of an auth server, with the shipped deploy/caddy/Caddyfile (as test/support/proxies.ts starts it). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startProc, type BenchProc } from './procs.js';
import { freePort } from '../test/support/proc.js';

export { freePort } from '../test/support/proc.js';

/** A running Caddy: the URL clients send to, and its process. */
export interface BenchCaddy {
  readonly url: string;
  readonly proc: BenchProc;
}

/**
 * Starts Caddy: shipped Caddyfile (forward_auth to `authPort` with uri /auth and the identity copy_headers,
 * reverse_proxy to `appPort`), admin API and automatic HTTPS off, listening on every Host at a loopback port.
 */
export async function startCaddy(authPort: number, appPort: number): Promise<BenchCaddy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'keygate-bench-caddy-'));
  const shipped = readFileSync(join(ROOT, 'deploy/caddy/Caddyfile'), 'utf8');
  writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n}\n${shipped}`);
  const env = {
    ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir,
    // `http://:PORT`: plain HTTP on the port for any Host header (the bench sends the protected host, not 127.0.0.1).
    SITE_ADDRESS: `http://:${port}`, KEYGATE_ADDRESS: `127.0.0.1:${authPort}`, APP_ADDRESS: `127.0.0.1:${appPort}`,
  };
  const proc = startProc('caddy', '/usr/bin/caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env, cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`caddy exited (${proc.child.exitCode}):\n${proc.output()}`);
    try {
      const res = await fetch(`${url}/__ready_probe`, { signal: AbortSignal.timeout(1000), redirect: 'manual' });
      await res.arrayBuffer();
      return { url, proc };
    } catch {
      if (Date.now() > deadline) throw new Error(`caddy did not answer on ${url}:\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
