/**
 * Browser login in real Chromium, through real Traefik 3.7 (the shipped traefik.yml and dynamic/keygate.yml), against
 * real Keycloak 26's login page (realm kg-browser). Access tokens live 10 s there, so the session refreshes inside a
 * test: role changes and sessions ended in Keycloak are seen at that refresh.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it, type TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { createSessionModule } from '../../../src/session/module.js';
import { browserSession, callFromPage, launchChromium, mapHostToLoopback, signInAtKeycloak, type BrowserSession } from '../../support/browser.js';
import { sample, startKeygate, type TestKeygate } from '../../support/keygate.js';
import { jwtPayload, realKeycloak, type RealKeycloak } from '../../support/keycloak.js';
import { requireReal } from '../../support/real-systems.js';
import { startTraefik, type Traefik } from '../../support/traefik.js';
import { startUpstream, type Upstream } from '../../support/upstream.js';

const REALM = 'kg-browser';
const HOST = 'prefect.example.com';
const POLICY = `version: 1
default: deny
rules:
  - name: health
    hosts: [${HOST}]
    paths: [/api/health]
    allow: public
  - name: admin-api
    hosts: [${HOST}]
    paths: ["/api/admin/**"]
    allow: { anyRole: [admin] }
  - name: work-pools
    hosts: [${HOST}]
    paths: ["/api/work_pools/**"]
    allow: { anyRole: [engineer] }
  - name: api-read
    hosts: [${HOST}]
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer, admin] }
  - name: ui
    hosts: [${HOST}]
    paths: ["/**"]
    allow: authenticated
`;
/**
 * The realm's access tokens live 10 s (accessTokenLifespan); keygate refreshes on the first request after that. The
 * bound leaves room for a loaded 2-core machine; polling ends as soon as the refresh is seen.
 */
const REFRESH_BOUND_MS = 45_000;
/** The realm's ID tokens live as long as its access tokens. */
const ID_TOKEN_LIFESPAN_MS = 10_000;

/** Polls `check` every 250 ms (each poll is a request through Traefik) until it holds; false once `ms` pass. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

interface Env { kc: RealKeycloak; kg: TestKeygate; app: Upstream; traefik: Traefik; browser: Browser; origin: string }
let setup: Promise<Env | undefined> | undefined;
/** What was started, stopped in reverse order after the suite (also when a later start failed). */
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
    env: { KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32', KEYGATE_COOKIE_SECURE: 'true' },
    service: { sessions: createSessionModule },
  });
  stops.push(() => kg.close());
  const app = await startUpstream();
  stops.push(() => app.close());
  const traefik = await startTraefik(bin, { keygate: kg.url, app: app.url });
  stops.push(() => traefik.stop());
  return { kc, kg, app, traefik, browser, origin: `https://${HOST}:${traefik.ports.websecure}` };
}

/** A browser session whose requests to Keycloak are recorded (a fresh context: no keygate or Keycloak cookies). */
const open = (e: Env): Promise<BrowserSession> => browserSession(e.browser, e.kc.url);
const authPath = `/realms/${REALM}/protocol/openid-connect/auth`;
const endSessionPath = `/realms/${REALM}/protocol/openid-connect/logout`;

/** What the echo app received, read from the page it rendered. */
async function seenByApp(s: BrowserSession): Promise<{ url: string; headers: Record<string, string> }> {
  return JSON.parse(await s.page.locator('body').innerText()) as { url: string; headers: Record<string, string> };
}

/** The user's Keycloak session ids (admin API). */
async function keycloakSessions(kc: RealKeycloak, userId: string): Promise<string[]> {
  const list = await kc.admin('GET', `/${REALM}/users/${userId}/sessions`) as Array<{ id: string }>;
  return list.map((s) => s.id);
}

/**
 * A throwaway user like bob (engineer and viewer, /data/team-b, password `<username>-password`), for tests that change
 * a user or end all its sessions: nobody else is touched, another run of this file included. Deleted after the test.
 */
async function throwawayUser(e: Env, t: TestContext): Promise<{ username: string; id: string }> {
  const username = `bob-${randomBytes(4).toString('hex')}`;
  await e.kc.admin('POST', `/${REALM}/users`, {
    username, enabled: true, emailVerified: true, firstName: 'Bob', lastName: 'Throwaway', email: `${username}@example.com`,
    credentials: [{ type: 'password', value: `${username}-password`, temporary: false }], groups: ['/data/team-b'],
  });
  const id = await e.kc.userId(REALM, username);
  t.after(async () => { await e.kc.admin('DELETE', `/${REALM}/users/${id}`); });
  const roles = await Promise.all(['engineer', 'viewer'].map((r) => e.kc.admin('GET', `/${REALM}/roles/${r}`)));
  await e.kc.admin('POST', `/${REALM}/users/${id}/role-mappings/realm`, roles);
  return { username, id };
}

/** Signs in at `url` and returns the one Keycloak session that sign-in created (earlier tests' sessions may remain). */
async function signInNewSession(e: Env, s: BrowserSession, url: string, username: string): Promise<string> {
  const userId = await e.kc.userId(REALM, username);
  const before = new Set(await keycloakSessions(e.kc, userId));
  await s.page.goto(url);
  assert.equal((await signInAtKeycloak(s.page, username, `${username}-password`, url)).status(), 200);
  const created = (await keycloakSessions(e.kc, userId)).filter((id) => !before.has(id));
  assert.equal(created.length, 1, `the sign-in created one Keycloak session, got ${created.length}`);
  return created[0] ?? '';
}

describe('real Chromium signs in at real Keycloak 26 through real Traefik 3.7 (shipped files)', () => {
  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('signs in on Keycloak\'s login page and returns to the original URL with its query; the app sees the identity', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const s = await open(e);
    try {
      const original = `${e.origin}/runs/flow-run?tab=logs&limit=5&q=a%20b`;
      await s.page.goto(original);
      assert.match(await s.page.title(), /Sign in to/);
      const login = new URL(s.page.url());
      assert.equal(`${login.origin}${login.pathname}`, `${e.kc.url}${authPath}`, 'the login form is Keycloak\'s authorization endpoint');
      assert.equal(login.searchParams.get('redirect_uri'), `${e.origin}/_keygate/callback`);
      assert.equal(login.searchParams.get('code_challenge_method'), 'S256');
      assert.equal((await signInAtKeycloak(s.page, 'alice', 'alice-password', original)).status(), 200);

      const seen = await seenByApp(s);
      assert.equal(seen.url, '/runs/flow-run?tab=logs&limit=5&q=a%20b', 'path and query reach the app unchanged');
      assert.equal(seen.headers['x-auth-user'], 'alice');
      assert.equal(seen.headers['x-auth-email'], 'alice@example.com');
      assert.equal(seen.headers['x-auth-name'], 'Alice Viewer');
      assert.equal(seen.headers['x-auth-subject'], await e.kc.userId(REALM, 'alice'));
      assert.equal(seen.headers['x-auth-groups'], '/data/team-a');
      assert.ok((seen.headers['x-auth-roles'] ?? '').split(',').includes('viewer'), `roles: ${seen.headers['x-auth-roles']}`);
      assert.equal(s.keycloak.filter((u) => u.pathname === authPath).length, 1, 'exactly one authorization request');

      const cookies = await s.context.cookies(e.origin);
      const chunks = cookies.filter((c) => c.name === 'keygate' || c.name.startsWith('keygate.'));
      t.diagnostic(`session cookie with real Keycloak tokens: ${chunks.length} chunk(s), ${chunks.reduce((n, c) => n + c.value.length, 0)} bytes`);
      const session = cookies.find((c) => c.name === 'keygate');
      assert.ok(session !== undefined, `no session cookie among ${cookies.map((c) => c.name).join(', ')}`);
      assert.deepEqual({ secure: session.secure, httpOnly: session.httpOnly, sameSite: session.sameSite }, { secure: true, httpOnly: true, sameSite: 'Lax' });
      assert.deepEqual(cookies.filter((c) => c.name.startsWith('keygate_login_')).map((c) => c.name), [], 'the login transaction cookie is cleared');
    } finally {
      await s.close();
    }
  });

  it('fetch and XHR without a session get 401, never Keycloak; a signed-in user without the role gets 403 with no loop', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const s = await open(e);
    try {
      // A public page on the host, so the page's own fetch() and XHR are same-origin and carry no session.
      await s.page.goto(`${e.origin}/api/health`);
      assert.equal((await seenByApp(s)).url, '/api/health');
      for (const how of ['fetch-manual', 'fetch', 'xhr'] as const) {
        const r = await callFromPage(s.page, '/api/flows?limit=1', how);
        assert.equal(r.status, 401, `${how} without a session: ${JSON.stringify(r)}`);
        assert.equal(r.wwwAuthenticate, 'Bearer realm="keygate"', how);
      }
      assert.deepEqual(s.keycloak.map((u) => u.href), [], 'no request without a session went to Keycloak');

      // The classic loop: sign in for a page the user may not see. Keycloak, then the page's 403, once.
      const forbidden = `${e.origin}/api/admin/users?page=2`;
      await s.page.goto(forbidden);
      const answer = await signInAtKeycloak(s.page, 'alice', 'alice-password', forbidden);
      assert.equal(answer.status(), 403, 'back at the original URL with 403');
      assert.match(await answer.text(), /admin-api/, 'the 403 page names the rule');
      await s.page.reload();
      await s.page.waitForLoadState('networkidle');
      assert.equal(s.page.url(), forbidden);
      assert.equal(s.keycloak.filter((u) => u.pathname === authPath).length, 1, `one authorization request, no loop: ${s.keycloak.map((u) => u.pathname).join(' ')}`);
      assert.equal((await callFromPage(s.page, '/api/admin/users', 'fetch-manual')).status, 403);
      assert.equal((await callFromPage(s.page, '/api/flows', 'xhr')).status, 200);
    } finally {
      await s.close();
    }
  });

  it('a realm role removed through the admin API is gone after the next refresh', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const bob = await throwawayUser(e, t);
    const engineer = await e.kc.admin('GET', `/${REALM}/roles/engineer`);
    const s = await open(e);
    try {
      await signInNewSession(e, s, `${e.origin}/api/work_pools/filter`, bob.username);
      assert.match((await seenByApp(s)).headers['x-auth-roles'] ?? '', /engineer/);
      const refreshedBefore = sample(await e.kg.metrics(), 'keygate_session_refreshes_total', { result: 'success' });

      await e.kc.admin('DELETE', `/${REALM}/users/${bob.id}/role-mappings/realm`, [engineer]);
      const started = Date.now();
      const denied = await until(async () => {
        const r = await callFromPage(s.page, '/api/work_pools/filter', 'xhr');
        assert.ok(r.status === 200 || r.status === 403, `allowed until the refresh, then denied; got ${r.status}`);
        return r.status === 403;
      }, REFRESH_BOUND_MS);
      assert.ok(denied, `still allowed ${REFRESH_BOUND_MS} ms after the role was removed (token lifespan 10 s)`);
      t.diagnostic(`role gone after ${Date.now() - started} ms`);
      const flows = await callFromPage(s.page, '/api/flows', 'xhr');
      assert.equal(flows.status, 200, 'the session survived the refresh');
      const roles = (JSON.parse(flows.body) as { headers: Record<string, string> }).headers['x-auth-roles'] ?? '';
      assert.deepEqual(roles.split(',').filter((r) => r === 'engineer' || r === 'viewer'), ['viewer'], `X-Auth-Roles after the refresh: ${roles}`);
      assert.ok(sample(await e.kg.metrics(), 'keygate_session_refreshes_total', { result: 'success' }) > refreshedBefore, 'the change arrived through a refresh');
    } finally {
      await s.close();
    }
  });

  it('a session ended in Keycloak (admin API) is signed out at the next refresh: XHR gets 401, navigation the login page', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    // Two browsers signed in as one user: one notices through XHR, the other through a navigation (a different answer:
    // the refused refresh must turn into a redirect to Keycloak there, with the cleared cookie riding along).
    const user = await throwawayUser(e, t);
    const xhrSide = await open(e);
    const navSide = await open(e);
    try {
      const home = `${e.origin}/dashboard`;
      const sidXhr = await signInNewSession(e, xhrSide, home, user.username);
      const sidNav = await signInNewSession(e, navSide, home, user.username);
      const failedBefore = sample(await e.kg.metrics(), 'keygate_session_refreshes_total', { result: 'failure' });

      // Both admin APIs: one session ended by its id, then every session of the user.
      await e.kc.admin('DELETE', `/${REALM}/sessions/${sidXhr}`);
      await e.kc.admin('POST', `/${REALM}/users/${user.id}/logout`);
      const remaining = await keycloakSessions(e.kc, user.id);
      assert.ok(!remaining.includes(sidXhr) && !remaining.includes(sidNav), 'Keycloak ended both sessions');
      const started = Date.now();
      const [xhrOut, navOut] = await Promise.all([
        until(async () => {
          const r = await callFromPage(xhrSide.page, '/api/flows', 'xhr');
          assert.ok(r.status === 200 || r.status === 401, `allowed until the refresh, then 401; got ${r.status}`);
          return r.status === 401;
        }, REFRESH_BOUND_MS),
        until(async () => {
          const answer = await navSide.page.goto(home);
          if (navSide.page.url().startsWith(`${e.kc.url}${authPath}`)) return true;
          // Until the refresh, the app; at the refresh, straight to Keycloak (never a 401 page first).
          assert.equal(answer?.status(), 200, `a navigation is either allowed or sent to Keycloak, got ${answer?.status()} at ${navSide.page.url()}`);
          return false;
        }, REFRESH_BOUND_MS),
      ]);
      assert.ok(xhrOut, `XHR still allowed ${REFRESH_BOUND_MS} ms after Keycloak ended the session (token lifespan 10 s)`);
      assert.ok(navOut, `navigation still allowed ${REFRESH_BOUND_MS} ms after Keycloak ended the session (token lifespan 10 s)`);
      t.diagnostic(`both signed out after ${Date.now() - started} ms`);
      assert.ok(sample(await e.kg.metrics(), 'keygate_session_refreshes_total', { result: 'failure' }) >= failedBefore + 2, 'signed out by refused refreshes');

      // The navigation landed on Keycloak's login form (its SSO session is gone too), having been sent there twice.
      await navSide.page.waitForSelector('#username');
      assert.equal(navSide.keycloak.filter((u) => u.pathname === authPath).length, 2, 'a second authorization request');
      assert.deepEqual((await navSide.context.cookies(e.origin)).filter((c) => c.name === 'keygate').map((c) => c.name), [], 'the session cookie was cleared');
      // The XHR side: cleared too; its next navigation shows the login form.
      await xhrSide.page.goto(home);
      await xhrSide.page.waitForSelector('#username');
      assert.ok(xhrSide.page.url().startsWith(`${e.kc.url}${authPath}`), `navigation goes to the Keycloak login page, got ${xhrSide.page.url()}`);
    } finally {
      await xhrSide.close();
      await navSide.close();
    }
  });

  it('RP-initiated logout through Traefik ends the Keycloak session: the next visit shows the login form', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const s = await open(e);
    try {
      const sid = await signInNewSession(e, s, `${e.origin}/dashboard?view=admin`, 'carol');
      assert.equal((await seenByApp(s)).headers['x-auth-user'], 'carol');
      // Keycloak 26 tokens carry `sid` and no `session_state` claim: the session must hold Keycloak's session id, which
      // logout revokes and back-channel logout names.
      assert.ok(e.kg.logs().some((l) => l['msg'] === 'login' && l['sid'] === sid), 'keygate\'s session carries Keycloak\'s session id');
      await logOutToLoginForm(e, s, sid, 'carol');
    } finally {
      await s.close();
    }
  });

  it('RP-initiated logout after the ID token expired (idle past its 10 s lifespan) still ends the session with no confirmation page', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const s = await open(e);
    try {
      const sid = await signInNewSession(e, s, `${e.origin}/dashboard`, 'bob');
      // No request meanwhile, so no refresh: the session still holds the ID token from the sign-in, issued with the
      // realm's 10 s lifespan (as any user idle past accessTokenLifespan who then signs out).
      await new Promise((r) => setTimeout(r, ID_TOKEN_LIFESPAN_MS + 1_000));
      const hint = await logOutToLoginForm(e, s, sid, 'bob');
      const exp = jwtPayload(hint)['exp'];
      assert.ok(typeof exp === 'number' && exp * 1000 < Date.now(), 'the id_token_hint had expired');
    } finally {
      await s.close();
    }
  });

  it('logout without a keygate session (cookie gone, Keycloak session alive): Keycloak asks to confirm, then ends it', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const s = await open(e);
    try {
      const sid = await signInNewSession(e, s, `${e.origin}/dashboard`, 'carol');
      // E.g. the cookie's absolute lifetime passed while Keycloak's SSO session lives on: keygate has no ID token to
      // send, so it names itself with client_id, and Keycloak (unlike the look-alike) asks the user to confirm.
      await s.context.clearCookies({ name: 'keygate' });
      const rd = `${e.origin}/dashboard?after=logout`;
      await s.page.goto(`${e.origin}/_keygate/logout?rd=${encodeURIComponent(rd)}`);
      const end = new URL(s.page.url());
      assert.equal(`${end.origin}${end.pathname}`, `${e.kc.url}${endSessionPath}`, 'Keycloak\'s end-session endpoint');
      assert.equal(end.searchParams.get('client_id'), 'keygate');
      assert.equal(end.searchParams.get('post_logout_redirect_uri'), rd);
      assert.equal(await s.page.locator('body').getAttribute('data-page-id'), 'login-logout-confirm', `Keycloak's confirmation page, got ${await s.page.title()}`);
      await Promise.all([s.page.waitForSelector('#username'), s.page.click('#kc-logout')]);
      assert.ok(s.navigations.some((u) => u.href === rd), 'once confirmed, Keycloak sent the browser back to rd');
      assert.ok(s.page.url().startsWith(`${e.kc.url}${authPath}`), `rd shows Keycloak's login form, got ${s.page.url()}`);
      assert.ok(!(await keycloakSessions(e.kc, await e.kc.userId(REALM, 'carol'))).includes(sid), 'Keycloak ended the session');
    } finally {
      await s.close();
    }
  });
});

/**
 * Signs out through `/_keygate/logout?rd=` on the protected host and checks, in the browser and in Keycloak, that the
 * Keycloak session `sid` ended: Keycloak's end-session endpoint had id_token_hint (no confirmation page) and sent the
 * browser back to rd, whose visit shows Keycloak's login form (no silent SSO re-login); signing in returns to rd.
 * Returns the id_token_hint sent.
 */
async function logOutToLoginForm(e: Env, s: BrowserSession, sid: string, username: string): Promise<string> {
  const logoutsBefore = sample(await e.kg.metrics(), 'keygate_logouts_total', { kind: 'rp' });
  const rd = `${e.origin}/dashboard?after=logout`;
  await s.page.goto(`${e.origin}/_keygate/logout?rd=${encodeURIComponent(rd)}`);
  await s.page.waitForSelector('#username', { timeout: 15_000 }).catch(() => undefined);
  const trail = s.navigations.map((u) => `${u.origin}${u.pathname}`).join(' → ');
  const end = s.navigations.find((u) => u.pathname === endSessionPath);
  assert.ok(end !== undefined, `the browser went to Keycloak's end-session endpoint: ${trail}`);
  const hint = end.searchParams.get('id_token_hint');
  assert.ok(hint !== null, 'with id_token_hint (no confirmation page)');
  assert.equal(end.searchParams.get('post_logout_redirect_uri'), rd);
  assert.ok(s.navigations.some((u) => u.href === rd), `Keycloak sent the browser back to rd: ${trail}`);
  assert.ok(await s.page.locator('#username').isVisible(), `the next visit shows the login form, got ${s.page.url()} (${await s.page.title()}): ${trail}`);
  assert.ok(s.page.url().startsWith(`${e.kc.url}${authPath}`), `at Keycloak's login form, got ${s.page.url()}`);
  assert.ok(!(await keycloakSessions(e.kc, await e.kc.userId(REALM, username))).includes(sid), 'Keycloak ended the session');
  assert.equal(sample(await e.kg.metrics(), 'keygate_logouts_total', { kind: 'rp' }), logoutsBefore + 1);

  assert.equal((await signInAtKeycloak(s.page, username, `${username}-password`, rd)).status(), 200, 'signing in again returns to rd');
  assert.equal((await seenByApp(s)).url, '/dashboard?after=logout');
  return hint;
}
