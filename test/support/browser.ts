/** Headless Debian Chromium driven by playwright-core (never a downloaded browser). */
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { requireBinary } from './proc.js';

/**
 * Launches /usr/bin/chromium headless, or skips loudly (fails under E2E_REQUIRED=1) when it is missing. `args` are
 * added to the defaults (e.g. `--host-resolver-rules`).
 */
export async function launchChromium(t: TestContext, args: readonly string[] = []): Promise<Browser | undefined> {
  const bin = requireBinary(t, 'chromium');
  if (bin === undefined) return undefined;
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // The machine has no network beyond loopback: keep Chromium from calling home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', ...args],
  });
}

/** Chromium arguments that resolve `host` to 127.0.0.1 (no DNS is consulted; the machine reaches loopback only). */
export function mapHostToLoopback(host: string): string {
  return `--host-resolver-rules=MAP ${host} 127.0.0.1`;
}

/** A fresh browser context (no cookies) with the requests it made to Keycloak and its main-frame navigations. */
export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request to the identity provider's origin, in order. */
  readonly keycloak: URL[];
  /** Every main-frame navigation request, redirects included, in order. */
  readonly navigations: URL[];
  close(): Promise<void>;
}

/** Opens a fresh context (self-signed certificates accepted: Traefik's default one) recording requests to `idpUrl`. */
export async function browserSession(browser: Browser, idpUrl: string): Promise<BrowserSession> {
  // bypassCSP: the tests call fetch/XHR from whatever page is open, the 403 page included, whose
  // Content-Security-Policy (default-src 'none') forbids a page's own scripts any request.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
  const page = await context.newPage();
  const idp = new URL(idpUrl).origin;
  const keycloak: URL[] = [];
  const navigations: URL[] = [];
  context.on('request', (req) => {
    const url = new URL(req.url());
    if (url.origin === idp) keycloak.push(url);
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) navigations.push(url);
  });
  return { context, page, keycloak, navigations, close: () => context.close() };
}

/**
 * Fills Keycloak's login form (`#username`, `#password`, `#kc-login`) and waits until the browser is back at
 * `returnUrl`; returns that answer. A redirect answered there (e.g. the start of a login loop) is returned at once.
 */
export async function signInAtKeycloak(page: Page, username: string, password: string, returnUrl: string): Promise<Response> {
  await page.waitForSelector('#username', { timeout: 30_000 });
  await page.fill('#username', username);
  await page.fill('#password', password);
  const back = page.waitForResponse((r) => r.url() === returnUrl && r.request().isNavigationRequest(), { timeout: 30_000 });
  const [answer] = await Promise.all([
    back.catch(async (err: unknown) => {
      const text = await page.locator('body').innerText({ timeout: 2_000 }).catch(() => '(no body)');
      throw new Error(`not back at ${returnUrl} within 30 s after signing in as ${username}; the page is at ${page.url()}: ${text.slice(0, 300)}`, { cause: err });
    }),
    page.click('#kc-login'),
  ]);
  if (answer.status() < 300 || answer.status() >= 400) await page.waitForURL(returnUrl, { timeout: 30_000 });
  return answer;
}

/** What a same-origin call made by the page's own script got. */
export interface PageCall {
  readonly status: number;
  /** `basic` for an answer; `opaqueredirect` when a `redirect: 'manual'` fetch met a redirect. */
  readonly type: string;
  readonly wwwAuthenticate: string | null;
  readonly body: string;
}

/**
 * Calls `path` from the page's script: `fetch-manual` (redirects not followed), `fetch`, or `xhr` (XMLHttpRequest with
 * `X-Requested-With`). Evaluated as text: the tests' tsconfig has no DOM types.
 */
export async function callFromPage(page: Page, path: string, how: 'fetch-manual' | 'fetch' | 'xhr'): Promise<PageCall> {
  const p = JSON.stringify(path);
  const script = how === 'xhr'
    ? `new Promise((resolve, reject) => {
        const x = new XMLHttpRequest();
        x.open('GET', ${p});
        x.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
        x.onload = () => resolve({ status: x.status, type: 'basic', wwwAuthenticate: x.getResponseHeader('www-authenticate'), body: x.responseText });
        x.onerror = () => reject(new Error('XHR failed'));
        x.send();
      })`
    : `fetch(${p}${how === 'fetch-manual' ? ", { redirect: 'manual' }" : ''}).then(async (r) => ({ status: r.status, type: r.type, wwwAuthenticate: r.headers.get('www-authenticate'), body: await r.text() }))`;
  return await page.evaluate(script) as PageCall;
}

/**
 * Keycloak's re-authentication form, shown when a sign-in is asked with `max_age` or `prompt=login` while its SSO
 * session lives: the user is named (`#kc-attempted-username`, read-only) and only `#password` is asked. Fills it and
 * waits until the browser is back at `returnUrl`; returns that answer (a redirect there is returned at once).
 */
export async function reauthenticateAtKeycloak(page: Page, username: string, password: string, returnUrl: string): Promise<Response> {
  await page.waitForSelector('#password', { timeout: 30_000 });
  const named = await page.locator('#kc-attempted-username').inputValue({ timeout: 5_000 }).catch(() => undefined);
  if (named !== username) throw new Error(`Keycloak's form at ${page.url()} is not the re-authentication of ${username} (attempted username: ${named ?? 'none'})`);
  await page.fill('#password', password);
  const back = page.waitForResponse((r) => r.url() === returnUrl && r.request().isNavigationRequest(), { timeout: 30_000 });
  const [answer] = await Promise.all([
    back.catch(async (err: unknown) => {
      const text = await page.locator('body').innerText({ timeout: 2_000 }).catch(() => '(no body)');
      throw new Error(`not back at ${returnUrl} within 30 s after re-authenticating ${username}; the page is at ${page.url()}: ${text.slice(0, 300)}`, { cause: err });
    }),
    page.click('#kc-login'),
  ]);
  if (answer.status() < 300 || answer.status() >= 400) await page.waitForURL(returnUrl, { timeout: 30_000 });
  return answer;
}
