/**
 * Step-up (issue 13 point 3) end to end: real Chromium, real Traefik 3.7, real Keycloak 26 (realm kg-browser).
 *
 * A Prefect `create_flow_run` rule (and the UI page that starts a run) with `maxAuthAge: 10` asks a session signed in
 * more than 10 s ago to sign in again: the navigation goes once through Keycloak's authorization endpoint with
 * `max_age=10`, Keycloak shows its re-authentication form (its SSO session is older than max_age), and the browser is
 * back at the original URL, allowed, with a session carrying the new `auth_time`. The page's own XHR and fetch calls
 * get 401 `insufficient_user_authentication` (RFC 9470), never a redirect. A rule asking an `acr` Keycloak never
 * issues shows the loop guard: one new sign-in (`acr_values` + `prompt=login`), then 403, never a second redirect.
 * An API client's password-grant token carries no `auth_time` in Keycloak 26.7, so it gets the 401 on the rule too.
 *
 * keygate runs with passAccessToken, so the echo app sees the session's current access token: the test reads
 * `auth_time` and `acr` from what Keycloak issued, before and after. Traefik runs the shipped files plus one dynamic
 * file whose middleware is the shipped `keygate` middleware with `Authorization` added (as docs/proxies.md says to with
 * passAccessToken), on routers for the host with a higher priority than the shipped ones.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, describe, it, type TestContext } from 'node:test';
import { parseDocument } from 'yaml';
import type { Browser, Page } from 'playwright-core';
import { createSessionModule } from '../../../src/session/module.js';
import { browserSession, callFromPage, launchChromium, mapHostToLoopback, reauthenticateAtKeycloak, signInAtKeycloak, type BrowserSession, type PageCall } from '../../support/browser.js';
import { startKeygate, type TestKeygate } from '../../support/keygate.js';
import { jwtPayload, realKeycloak, type RealKeycloak } from '../../support/keycloak.js';
import { requireReal } from '../../support/real-systems.js';
import { dynamicConfig, startTraefik, traefikRequest, type Traefik } from '../../support/traefik.js';
import { startUpstream, type Upstream } from '../../support/upstream.js';

const REALM = 'kg-browser';
const HOST = 'prefect.example.com';
/** The test's maxAuthAge (the shipped example would use 300). */
const MAX_AUTH_AGE = 10;
/** keygate's loop guard: a session signed in less than this many seconds ago gets 403 instead of another sign-in. */
const STEP_UP_GRACE_S = 5;
const POLICY = `version: 1
default: deny
rules:
  - name: health
    hosts: [${HOST}]
    paths: [/api/health]
    allow: public
  - name: prefect-run-deployment
    hosts: [${HOST}]
    methods: [POST]
    paths: ["/api/deployments/*/create_flow_run"]
    allow: { anyRole: [engineer, admin], maxAuthAge: ${MAX_AUTH_AGE} }
  - name: prefect-run-page
    hosts: [${HOST}]
    methods: [GET]
    paths: ["/deployments/deployment/*/run"]
    allow: { anyRole: [engineer, admin], maxAuthAge: ${MAX_AUTH_AGE} }
  - name: prefect-settings
    hosts: [${HOST}]
    paths: ["/settings/**"]
    allow: { anyRole: [engineer, admin], acr: [gold] }
  - name: api-read
    hosts: [${HOST}]
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer, admin] }
  - name: ui
    hosts: [${HOST}]
    paths: ["/**"]
    allow: authenticated
`;
const authPath = `/realms/${REALM}/protocol/openid-connect/auth`;

/** The shipped `keygate` middleware plus Authorization, on both of the host's routers (higher priority). */
function tokenMiddlewareFile(keygate: string, app: string): string {
  const fa = (parseDocument(dynamicConfig(keygate, app)).getIn(['http', 'middlewares', 'keygate', 'forwardAuth']) as { toJSON(): Record<string, unknown> }).toJSON();
  const listed = fa['authResponseHeaders'];
  assert.ok(Array.isArray(listed) && listed.includes('X-Auth-User'), 'the shipped middleware lists the identity headers');
  const router = (rule: string, priority: number): Record<string, unknown> => ({ entryPoints: ['websecure'], rule, priority, middlewares: ['keygate-token'], service: 'prefect', tls: {} });
  return JSON.stringify({
    http: {
      middlewares: { 'keygate-token': { forwardAuth: { ...fa, authResponseHeaders: [...listed, 'Authorization'] } } },
      routers: {
        'prefect-api-token': router(`Host(\`${HOST}\`) && PathPrefix(\`/api\`)`, 10_000),
        'prefect-ui-token': router(`Host(\`${HOST}\`)`, 9_000),
      },
    },
  }, null, 2);
}

interface Env { kc: RealKeycloak; kg: TestKeygate; app: Upstream; traefik: Traefik; browser: Browser; origin: string }
let setup: Promise<Env | undefined> | undefined;
const stops: Array<() => Promise<unknown>> = [];
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const bin = requireReal(t, 'traefik');
  const kc = await realKeycloak(t, REALM);
  if (bin === undefined || kc === undefined) return undefined;
  const browser = await launchChromium(t, [mapHostToLoopback(HOST)]);
  if (browser === undefined) return undefined;
  stops.push(() => browser.close());
  const kg = await startKeygate(kc.issuer(REALM), POLICY, {
    env: { KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32', KEYGATE_COOKIE_SECURE: 'true', KEYGATE_PASS_ACCESS_TOKEN: 'true' },
    service: { sessions: createSessionModule },
  });
  stops.push(() => kg.close());
  const app = await startUpstream();
  stops.push(() => app.close());
  const traefik = await startTraefik(bin, { keygate: kg.url, app: app.url, extraDynamic: { 'keygate-token.yml': tokenMiddlewareFile(kg.url, app.url) } });
  stops.push(() => traefik.stop());
  return { kc, kg, app, traefik, browser, origin: `https://${HOST}:${traefik.ports.websecure}` };
}

/** A throwaway engineer (password `<username>-password`), deleted after the test: its sign-ins touch nobody else. */
async function throwawayEngineer(e: Env, t: TestContext): Promise<string> {
  const username = `eng-${randomBytes(4).toString('hex')}`;
  await e.kc.admin('POST', `/${REALM}/users`, {
    username, enabled: true, emailVerified: true, firstName: 'Step', lastName: 'Up', email: `${username}@example.com`,
    credentials: [{ type: 'password', value: `${username}-password`, temporary: false }],
  });
  const id = await e.kc.userId(REALM, username);
  t.after(async () => { await e.kc.admin('DELETE', `/${REALM}/users/${id}`); });
  await e.kc.admin('POST', `/${REALM}/users/${id}/role-mappings/realm`, [await e.kc.admin('GET', `/${REALM}/roles/engineer`)]);
  return username;
}

/** What the echo app received on the page now shown, and the sign-in context of the access token it was passed. */
async function seenByApp(page: Page): Promise<{ url: string; authTime: unknown; acr: unknown; user: string | undefined }> {
  const seen = JSON.parse(await page.locator('body').innerText()) as { url: string; headers: Record<string, string> };
  const bearer = /^Bearer (.+)$/.exec(seen.headers['authorization'] ?? '');
  assert.ok(bearer?.[1] !== undefined, `the app got the session's access token: ${JSON.stringify(seen.headers)}`);
  const claims = jwtPayload(bearer[1]);
  return { url: seen.url, authTime: claims['auth_time'], acr: claims['acr'], user: seen.headers['x-auth-user'] };
}

/** A POST the page's own script makes: `fetch` with `redirect: 'manual'`, or XHR with X-Requested-With. */
async function postFromPage(page: Page, path: string, how: 'fetch-manual' | 'xhr'): Promise<PageCall> {
  const p = JSON.stringify(path);
  const body = JSON.stringify('{"state":{"type":"SCHEDULED"}}');
  const script = how === 'xhr'
    ? `new Promise((resolve, reject) => {
        const x = new XMLHttpRequest();
        x.open('POST', ${p});
        x.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
        x.setRequestHeader('Content-Type', 'application/json');
        x.onload = () => resolve({ status: x.status, type: 'basic', wwwAuthenticate: x.getResponseHeader('www-authenticate'), body: x.responseText });
        x.onerror = () => reject(new Error('XHR failed'));
        x.send(${body});
      })`
    : `fetch(${p}, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: ${body} }).then(async (r) => ({ status: r.status, type: r.type, wwwAuthenticate: r.headers.get('www-authenticate'), body: await r.text() }))`;
  return await page.evaluate(script) as PageCall;
}

/** Waits until `seconds` have passed since `authTime` (epoch seconds, Keycloak's clock is this machine's). */
async function waitUntilOlderThan(authTime: number, seconds: number): Promise<void> {
  const ms = (authTime + seconds) * 1000 - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

const authRequests = (s: BrowserSession): URL[] => s.keycloak.filter((u) => u.pathname === authPath);
const stepUpChallenge = (maxAge: string): RegExp => new RegExp(`^Bearer realm="keygate", error="insufficient_user_authentication", error_description="[^"]+", ${maxAge}$`);

describe('step-up in real Chromium through real Traefik 3.7 against real Keycloak 26', () => {
  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it(`a session older than maxAuthAge (${MAX_AUTH_AGE} s): XHR gets 401 insufficient_user_authentication; the run page signs in again once with max_age, then create_flow_run is allowed`, async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const username = await throwawayEngineer(e, t);
    const password = `${username}-password`;
    const s = await browserSession(e.browser, e.kc.url);
    try {
      const deployment = randomUUID();
      const createRun = `/api/deployments/${deployment}/create_flow_run`;
      const runPage = `${e.origin}/deployments/deployment/${deployment}/run?source=step-up-test`;

      // A fresh sign-in: the run page and create_flow_run are allowed at once, no step-up.
      await s.page.goto(runPage);
      assert.equal((await signInAtKeycloak(s.page, username, password, runPage)).status(), 200);
      const first = await seenByApp(s.page);
      assert.equal(first.user, username);
      assert.equal(typeof first.authTime, 'number', `Keycloak's access token carries auth_time: ${String(first.authTime)}`);
      const signedIn = first.authTime as number;
      assert.equal(first.acr, '1', 'a password sign-in');
      assert.equal(authRequests(s).length, 1);
      assert.equal(authRequests(s)[0]?.searchParams.get('max_age'), null, 'the first sign-in asks no max_age');
      const fresh = await postFromPage(s.page, createRun, 'xhr');
      assert.equal(fresh.status, 200, `create_flow_run right after signing in: ${JSON.stringify(fresh)}`);

      // Older than maxAuthAge (the 10 s access token is refreshed meanwhile; Keycloak keeps auth_time across it).
      await waitUntilOlderThan(signedIn, MAX_AUTH_AGE + 1);
      const reached = e.app.seen.length;
      for (const how of ['xhr', 'fetch-manual'] as const) {
        const r = await postFromPage(s.page, createRun, how);
        assert.equal(r.status, 401, `${how} with an old session: ${JSON.stringify(r)}`);
        assert.equal(r.type, 'basic', `${how}: an answer, never a redirect`);
        assert.match(r.wwwAuthenticate ?? '', stepUpChallenge(`max_age=${MAX_AUTH_AGE}`), how);
        assert.equal((JSON.parse(r.body) as { rule?: string }).rule, 'prefect-run-deployment');
      }
      assert.equal(e.app.seen.length, reached, 'no refused call reached the app');
      assert.equal(authRequests(s).length, 1, 'XHR and fetch never went to Keycloak');

      // The navigation: Keycloak's authorization endpoint with max_age, its re-authentication form, back, allowed.
      await s.page.goto(runPage);
      await s.page.waitForSelector('#password', { timeout: 30_000 });
      const stepUp = authRequests(s)[1];
      assert.ok(stepUp !== undefined, `a second authorization request: ${authRequests(s).map((u) => u.href).join(' ')}`);
      assert.equal(stepUp.searchParams.get('max_age'), String(MAX_AUTH_AGE));
      assert.equal(stepUp.searchParams.get('prompt'), null, 'max_age alone: no prompt=login for a maxAuthAge rule');
      assert.equal(stepUp.searchParams.get('redirect_uri'), `${e.origin}/_keygate/callback`);
      assert.match(await s.page.title(), /Sign in to/);
      const back = await reauthenticateAtKeycloak(s.page, username, password, runPage);
      assert.equal(back.status(), 200, 'back at the original URL, allowed');
      const again = await seenByApp(s.page);
      assert.equal(again.url, `/deployments/deployment/${deployment}/run?source=step-up-test`);
      assert.equal(typeof again.authTime, 'number');
      const reSignedIn = again.authTime as number;
      assert.ok(reSignedIn >= signedIn + MAX_AUTH_AGE + 1, `the session carries the new auth_time: ${signedIn} → ${reSignedIn}`);
      assert.equal(again.acr, '1', 'a password sign-in again, not SSO (acr 0)');
      t.diagnostic(`auth_time ${signedIn} → ${reSignedIn}; authorization requests: ${authRequests(s).length}`);

      const allowed = await postFromPage(s.page, createRun, 'xhr');
      assert.equal(allowed.status, 200, `create_flow_run after the new sign-in: ${JSON.stringify(allowed)}`);
      assert.equal((JSON.parse(allowed.body) as { method: string; url: string }).url, createRun, 'the POST reached the app');
      await s.page.reload();
      assert.equal(s.page.url(), runPage);
      assert.equal(authRequests(s).length, 2, `exactly one extra authorization request, no loop: ${authRequests(s).map((u) => u.search).join(' | ')}`);
      const decisions = e.kg.logs().filter((l) => l['msg'] === 'decision' && l['reason'] === 'step_up' && l['user'] === username);
      assert.deepEqual(decisions.map((l) => [l['rule'], l['status']]), [
        ['prefect-run-deployment', 401], ['prefect-run-deployment', 401], ['prefect-run-page', 302],
      ], 'keygate\'s decision lines: two 401s for the calls, one 302 for the navigation');
    } finally {
      await s.close();
    }
  });

  it('a rule asking an acr Keycloak never issues: one new sign-in (acr_values, prompt=login), then 403, never a second redirect', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const username = await throwawayEngineer(e, t);
    const password = `${username}-password`;
    const s = await browserSession(e.browser, e.kc.url);
    try {
      const home = `${e.origin}/dashboard`;
      await s.page.goto(home);
      assert.equal((await signInAtKeycloak(s.page, username, password, home)).status(), 200);
      const signedIn = (await seenByApp(s.page)).authTime as number;
      const xhr = await callFromPage(s.page, '/settings/danger-zone', 'xhr');
      assert.equal(xhr.status, 401, `XHR: ${JSON.stringify(xhr)}`);
      assert.match(xhr.wwwAuthenticate ?? '', /error="insufficient_user_authentication", .*acr_values="gold"$/);

      // Past the loop guard's grace, so the navigation may ask for a new sign-in.
      await waitUntilOlderThan(signedIn, STEP_UP_GRACE_S + 1);
      const page = `${e.origin}/settings/danger-zone?tab=2`;
      await s.page.goto(page);
      await s.page.waitForSelector('#password', { timeout: 30_000 });
      const stepUp = authRequests(s)[1];
      assert.ok(stepUp !== undefined, 'a second authorization request');
      assert.equal(stepUp.searchParams.get('acr_values'), 'gold');
      assert.equal(stepUp.searchParams.get('prompt'), 'login');
      const answer = await reauthenticateAtKeycloak(s.page, username, password, page);
      assert.equal(answer.status(), 403, 'signed in again, still not gold: 403 at the original URL');
      assert.match(await answer.text(), /prefect-settings/);
      // Nothing more happens on its own: no third authorization request while the page sits there.
      await s.page.waitForLoadState('networkidle');
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(s.page.url(), page);
      assert.equal(authRequests(s).length, 2, `one new sign-in, no loop: ${authRequests(s).map((u) => u.search).join(' | ')}`);
      const afterXhr = await callFromPage(s.page, '/settings/danger-zone', 'xhr');
      assert.equal(afterXhr.status, 401, 'XHR: still 401, never a redirect');
      assert.equal(authRequests(s).length, 2);
    } finally {
      await s.close();
    }
  });
  it('an API client with a password-grant token (Keycloak 26 puts no auth_time in it) gets 401 insufficient_user_authentication on create_flow_run, never a redirect', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const token = (await e.kc.password(REALM, { id: 'keygate', secret: 'keygate-secret' }, 'bob', 'bob-password')).access_token;
    // Only a browser sign-in sets Keycloak's AUTH_TIME session note: direct grants (and client credentials) carry no
    // auth_time, so such a caller fails maxAuthAge closed and no new token of the same grant can satisfy it.
    assert.equal(jwtPayload(token)['auth_time'], undefined, 'Keycloak 26.7 password-grant access tokens carry no auth_time');
    const reached = e.app.seen.length;
    const a = await traefikRequest(e.traefik, `/api/deployments/${randomUUID()}/create_flow_run`, {
      host: HOST, method: 'POST', headers: { authorization: `Bearer ${token}`, accept: 'text/html', 'content-type': 'application/json' }, body: '{}',
    });
    assert.equal(a.status, 401, a.body);
    assert.match(String(a.headers['www-authenticate']), stepUpChallenge(`max_age=${MAX_AUTH_AGE}`));
    assert.equal(a.headers['location'], undefined);
    assert.equal(e.app.seen.length, reached, 'the app was not reached');
    const read = await traefikRequest(e.traefik, '/api/flows', { host: HOST, headers: { authorization: `Bearer ${token}` } });
    assert.equal(read.status, 200, 'the same token passes a rule without maxAuthAge');
  });
});
