import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { createSessionModule } from '../../src/session/module.js';
import { launchChromium } from '../support/browser.js';
import { startTestIdp } from '../support/idp.js';
import { startKeygate, type TestKeygate } from '../support/keygate.js';
import { requireBinary } from '../support/proc.js';
import { startCaddy, startNginx, type Proxy } from '../support/proxies.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const POLICY = `version: 1
default: deny
rules:
  - name: admin-api
    paths: ["/api/admin/**"]
    allow: { anyRole: [admin] }
  - name: api-read
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
  - name: ui
    paths: ["/**"]
    allow: authenticated
`;

let idp: KeycloakLookalike;
let kg: TestKeygate;
let app: Upstream;
before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, POLICY, { env: { KEYGATE_REDIRECT_HOSTS: '127.0.0.1' }, service: { sessions: createSessionModule } });
  app = await startUpstream();
});
after(async () => {
  await app.close();
  await kg.close();
  await idp.close();
});

const proxies = [
  { name: 'Caddy forward_auth', bin: 'caddy', pkg: 'caddy', start: startCaddy },
  { name: 'nginx auth_request + /_keygate/start (auth-signin pattern)', bin: 'nginx', pkg: 'nginx-light', start: startNginx },
];

for (const p of proxies) {
  describe(`real Chromium signs in through real ${p.name}`, () => {
    let browser: Browser | undefined;
    let proxy: Proxy | undefined;
    after(async () => {
      await browser?.close();
      await proxy?.stop();
    });

    it('lands on the login page, signs in, returns to the original URL with its query, and the upstream sees the identity', async (t) => {
      const bin = requireBinary(t, p.bin, p.pkg);
      if (bin === undefined) return;
      browser = await launchChromium(t);
      if (browser === undefined) return;
      proxy = await p.start(bin, Number(new URL(kg.url).port), app.port);
      const page = await browser.newPage();
      const original = `${proxy.url}/api/flows?limit=5&state=Running`;
      await page.goto(original);
      assert.match(await page.title(), /Sign in to demo/);
      assert.ok(page.url().startsWith(`${idp.issuer}/`), `login page at the IdP, got ${page.url()}`);
      await page.fill('#username', 'alice');
      await page.fill('#password', 'alice');
      await Promise.all([page.waitForURL(original), page.click('#kc-login')]);
      const seen = JSON.parse(await page.locator('body').innerText()) as { url: string; headers: Record<string, string> };
      assert.equal(seen.url, '/api/flows?limit=5&state=Running');
      assert.equal(seen.headers['x-auth-user'], 'alice');
      assert.equal(seen.headers['x-auth-email'], 'alice@example.com');
      assert.match(seen.headers['x-auth-roles'] ?? '', /viewer/);

      // API clients in the same browser: a signed-in user without the role gets 403 …
      assert.equal(await page.evaluate(() => fetch('/api/admin/users').then((r) => r.status)), 403);
      assert.equal(await page.evaluate(() => fetch('/api/flows').then((r) => r.status)), 200);
      // … and without a session, fetch() gets 401, never a redirect to the login page.
      await page.context().clearCookies();
      const anonymous = await page.evaluate(() => fetch('/api/flows', { redirect: 'manual' }).then((r) => ({ status: r.status, type: r.type })));
      assert.deepEqual(anonymous, { status: 401, type: 'basic' });
      // Runs in the page (the test's own tsconfig has no DOM types, hence a string).
      const xhr = await page.evaluate(`new Promise((resolve) => {
        const x = new XMLHttpRequest();
        x.open('GET', '/api/flows');
        x.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
        x.onload = () => resolve(x.status);
        x.send();
      })`);
      assert.equal(xhr, 401);
      await page.close();
    });
  });
}
