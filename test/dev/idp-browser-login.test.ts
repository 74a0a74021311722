import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { chromium, type Browser } from 'playwright-core';

import type { KeycloakLookalike } from '../../dev/idp/index.js';
import { pkcePair, startTestIdp } from '../support/idp.js';
import { authorizationUrl } from './helpers.js';

const executablePath = process.env.KEYGATE_CHROMIUM ?? '/usr/bin/chromium';
const missing = existsSync(executablePath) ? undefined : `no Chromium at ${executablePath} (apt-get install chromium, or set KEYGATE_CHROMIUM)`;
// A missing browser is a loud skip locally and a failure in CI (E2E_REQUIRED=1): never a silent pass.
if (missing !== undefined && process.env['E2E_REQUIRED'] === '1') throw new Error(`E2E_REQUIRED=1: ${missing}`);
if (missing !== undefined) process.stderr.write(`\n!!!!!!!! SKIPPED: ${missing} !!!!!!!!\n\n`);
const skip = missing ?? false;

let idp: KeycloakLookalike;
let app: Server;
let appUrl: string;
let browser: Browser;

before(async () => {
  if (skip !== false) return;
  // The relying party: its callback and post-logout pages just say where the browser landed.
  app = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>app</title><p id="path">${req.url ?? ''}</p>`);
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const address = app.address();
  assert.ok(typeof address === 'object' && address !== null);
  appUrl = `http://127.0.0.1:${address.port}`;
  idp = await startTestIdp();
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
});
after(async () => {
  if (skip !== false) return;
  await browser.close();
  await idp.close();
  await new Promise((resolve) => app.close(resolve));
});

describe('login through headless Chromium', { skip }, () => {
  it('signs in with the Keycloak form, signs in silently the second time, and logs out', async () => {
    const page = await browser.newPage();
    const callback = `${appUrl}/_keygate/callback`;
    await page.goto(authorizationUrl(idp, callback, pkcePair().challenge).href);
    assert.equal(await page.title(), 'Sign in to demo');

    await page.fill('#username', 'alice');
    await page.fill('#password', 'wrong');
    await page.click('#kc-login');
    await page.waitForSelector('#input-error');
    assert.equal((await page.textContent('#input-error'))?.trim(), 'Invalid username or password.');

    await page.fill('#password', 'alice');
    await Promise.all([page.waitForURL(`${callback}?**`), page.click('#kc-login')]);
    const landed = new URL(page.url());
    assert.ok(landed.searchParams.get('code'), 'the callback gets a code');
    assert.equal(landed.searchParams.get('state'), 'state-1');

    await page.goto(authorizationUrl(idp, callback, pkcePair().challenge).href);
    assert.ok(page.url().startsWith(`${callback}?`), 'silent sign-in: no login form the second time');

    const logout = new URL(`${idp.issuer}/protocol/openid-connect/logout`);
    logout.search = new URLSearchParams({ client_id: 'keygate', post_logout_redirect_uri: `${appUrl}/bye` }).toString();
    await page.goto(logout.href);
    assert.equal(page.url(), `${appUrl}/bye`);

    await page.goto(authorizationUrl(idp, callback, pkcePair().challenge).href);
    assert.equal(await page.title(), 'Sign in to demo', 'after logout the form shows again');
    await page.close();
  });
});
