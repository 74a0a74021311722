/** Real Caddy and nginx processes in front of keygate, configured from the files shipped in deploy/. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, tempDir, waitForHttp, type Proc } from './proc.js';

/** Repository root (tests run from dist/test/support). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A running proxy. */
export interface Proxy {
  readonly url: string;
  readonly port: number;
  readonly proc: Proc;
  stop(): Promise<void>;
}

/** Starts Caddy with deploy/caddy/Caddyfile (admin API and automatic HTTPS off for the test). */
export async function startCaddy(bin: string, keygatePort: number, appPort: number): Promise<Proxy> {
  const port = await freePort();
  const dir = tempDir('keygate-caddy-');
  const shipped = readFileSync(join(ROOT, 'deploy/caddy/Caddyfile'), 'utf8');
  writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n}\n${shipped}`);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, SITE_ADDRESS: `http://127.0.0.1:${port}`, KEYGATE_ADDRESS: `127.0.0.1:${keygatePort}`, APP_ADDRESS: `127.0.0.1:${appPort}` };
  const proc = startProcess(bin, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env, cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/__ready_probe`, proc);
  return { url, port, proc, stop: () => proc.stop() };
}

/** Debian's Caddy 2.6 (apt-get install caddy). Named by path: PATH may put the virtualenv's Caddy 2.11 first. */
export const DEBIAN_CADDY = '/usr/bin/caddy';

/** What `caddy version` prints, first word: "2.6.2" for Debian's build, "v2.11.7" for the official one. */
export function caddyVersion(bin: string): string {
  return execFileSync(bin, ['version'], { encoding: 'utf8', timeout: 10_000 }).trim().split(/\s+/)[0] ?? '';
}

/** Starts nginx with deploy/nginx/keygate.conf wrapped in a minimal main config. */
export async function startNginx(bin: string, keygatePort: number, appPort: number, serverName = '127.0.0.1'): Promise<Proxy> {
  const port = await freePort();
  const dir = tempDir('keygate-nginx-');
  for (const d of ['client', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  const server = readFileSync(join(ROOT, 'deploy/nginx/keygate.conf'), 'utf8')
    .replaceAll('${LISTEN}', `127.0.0.1:${port}`)
    .replaceAll('${SERVER_NAME}', serverName)
    .replaceAll('${KEYGATE_ADDRESS}', `127.0.0.1:${keygatePort}`)
    .replaceAll('${APP}', `http://127.0.0.1:${appPort}`);
  const conf = `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log stderr warn;\nevents { worker_connections 256; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/client;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n${server}\n}\n`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const proc = startProcess(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/__ready_probe`, proc);
  return { url, port, proc, stop: () => proc.stop() };
}

/**
 * Starts Caddy with a Caddyfile the test derived from the shipped one (e.g. more `copy_headers`), with the same
 * global options and environment as `startCaddy`.
 */
export async function startCaddyWith(bin: string, caddyfile: string, keygatePort: number, appPort: number): Promise<Proxy> {
  const port = await freePort();
  const dir = tempDir('keygate-caddy-');
  writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n}\n${caddyfile}`);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, SITE_ADDRESS: `http://127.0.0.1:${port}`, KEYGATE_ADDRESS: `127.0.0.1:${keygatePort}`, APP_ADDRESS: `127.0.0.1:${appPort}` };
  const proc = startProcess(bin, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env, cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/__ready_probe`, proc);
  return { url, port, proc, stop: () => proc.stop() };
}
