import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { DEFAULT_HEADERS } from '../../src/config/session-settings.js';
import { startGateway, type Gateway } from '../../dev/gateway.js';
import { createSessionModule } from '../../src/session/module.js';
import { CookieClient, startTestIdp } from '../support/idp.js';
import { sample, startKeygate, type TestKeygate } from '../support/keygate.js';
import { NAVIGATE, signIn } from '../support/login.js';
import { rawFetch } from '../support/raw-fetch.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const POLICY = `version: 1
default: deny
rules:
  - name: flows-write
    paths: ["/api/flows/**"]
    methods: [POST]
    allow: { anyRole: [engineer] }
  - name: api-read
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
  - name: ui
    paths: ["/**"]
    allow: authenticated
`;
const HEADERS = Object.values(DEFAULT_HEADERS);
const manyRoles = Array.from({ length: 40 }, (_, i) => `prefect-role-number-${i}`);
const manyGroups = Array.from({ length: 20 }, (_, i) => `/organisation/department-${i}/team-${i}`);

let idp: KeycloakLookalike;
let kg: TestKeygate;
let gw: Gateway;
let app: Upstream;

before(async () => {
  idp = await startTestIdp({
    accessTokenTtlSeconds: 2,
    extraUsers: [{ username: 'dave', password: 'dave', email: 'dave@example.com', name: 'Dave Many-Roles', realmRoles: ['viewer', ...manyRoles], clientRoles: {}, groups: manyGroups }],
  });
  kg = await startKeygate(idp.issuer, POLICY, { env: { KEYGATE_REDIRECT_HOSTS: '127.0.0.1' }, service: { sessions: createSessionModule } });
  app = await startUpstream();
  gw = await startGateway({ host: '127.0.0.1', port: 0, authUrl: `${kg.url}/auth`, upstream: app.url, authResponseHeaders: HEADERS });
});
after(async () => {
  await gw.close();
  await app.close();
  await kg.close();
  await idp.close();
});

const sessionCookies = (client: CookieClient): string => client.cookieHeader(new URL(gw.url)).split('; ').filter((c) => /^keygate(\.\d+)?=/.test(c)).join('; ');

describe('browser sign-in through a forward-auth gateway', () => {
  it('a navigation without a session is sent to Keycloak and comes back to the exact URL with its query', async () => {
    const client = new CookieClient();
    const r = await signIn(client, `${gw.url}/api/flows?limit=5&sort=desc`, 'alice', 'alice');
    assert.equal(r.url.href, `${gw.url}/api/flows?limit=5&sort=desc`);
    assert.equal(r.response.status, 200);
    const seen = await r.response.json() as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/api/flows?limit=5&sort=desc');
    assert.equal(seen.headers['x-auth-user'], 'alice');
    assert.equal(seen.headers['x-auth-groups'], '/data/team-a');
    assert.match(r.loginPage.pathname, /\/realms\/demo\//);
  });
  it('XHR and fetch without a session get 401, never a redirect; a POST navigation gets 303', async () => {
    const xhr = await fetch(`${gw.url}/api/flows`, { redirect: 'manual', headers: { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(xhr.status, 401);
    const cors = await fetch(`${gw.url}/api/flows`, { redirect: 'manual', headers: { accept: 'text/html', 'sec-fetch-mode': 'cors' } });
    assert.equal(cors.status, 401);
    const post = await rawFetch(`${gw.url}/api/flows/x`, { method: 'POST', headers: NAVIGATE });
    assert.equal(post.status, 303);
    assert.match(post.headers.get('location') ?? '', /protocol\/openid-connect\/auth\?/);
  });
  it('a signed-in user without the role gets 403, not a redirect loop', async () => {
    const client = new CookieClient();
    await signIn(client, `${gw.url}/`, 'alice', 'alice');
    const res = await client.fetch(`${gw.url}/api/flows/abc`, { method: 'POST', headers: NAVIGATE });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /flows-write/);
  });
});

describe('the cookie itself', () => {
  it('never carries a token or a claim in clear text, and one flipped byte makes it worthless', async () => {
    const client = new CookieClient();
    const token = await idp.mintAccessToken({}, { user: 'alice' });
    await signIn(client, `${gw.url}/api/flows`, 'alice', 'alice');
    const cookie = sessionCookies(client);
    const value = cookie.split('=').slice(1).join('=');
    const decoded = value.split('.').map((seg) => Buffer.from(seg, 'base64url').toString('latin1')).join('\n');
    // The JWE protected header (segment 0) is base64url JSON; everything after it is ciphertext.
    const sealed = value.slice(value.indexOf('.') + 1);
    // A JWT in clear is `eyJ…` (base64url of `{"`) then `.eyJ…`; random ciphertext contains a bare `eyJ` in ~1 % of
    // cookies, which made a bare substring check flaky, so the check is for the JWT's header.payload shape.
    assert.doesNotMatch(sealed, /eyJ[A-Za-z0-9_-]*\.eyJ/, 'a JWT (token) is visible in the cookie');
    for (const secret of ['alice', 'alice@example.com', 'viewer', '/data/team-a', idp.subjectOf('alice'), token.split('.')[1]?.slice(0, 20) ?? 'x']) {
      assert.ok(!value.includes(secret) && !decoded.includes(secret), `cookie reveals ${secret}`);
    }
    assert.deepEqual(Object.keys(JSON.parse(decoded.split('\n')[0] ?? '{}') as object).sort(), ['alg', 'enc', 'kid']);
    assert.equal((await client.fetch(`${gw.url}/api/flows`, { headers: { accept: 'application/json' } })).status, 200);
    const i = Math.floor(value.length / 2);
    const flipped = `${value.slice(0, i)}${value[i] === 'A' ? 'B' : 'A'}${value.slice(i + 1)}`;
    const res = await fetch(`${gw.url}/api/flows`, { headers: { cookie: `keygate=${flipped}`, accept: 'application/json' } });
    assert.equal(res.status, 401);
    assert.ok(res.headers.getSetCookie().some((c) => /^keygate=;/.test(c)), 'the broken cookie is cleared');
  });
  it('stays under 4 KB per cookie, or chunks correctly, with a 40-role, 20-group token', async () => {
    const client = new CookieClient();
    const r = await signIn(client, `${gw.url}/api/flows`, 'dave', 'dave');
    assert.equal(r.response.status, 200);
    const seen = await r.response.json() as { headers: Record<string, string> };
    assert.equal(seen.headers['x-auth-roles']?.split(',').length, 41);
    assert.equal(seen.headers['x-auth-groups']?.split(',').length, 20);
    for (const c of sessionCookies(client).split('; ')) assert.ok(c.length < 4000, `a cookie of ${c.length} bytes`);
  });
});

describe('refresh and logout', () => {
  it('after a role is removed and the access token expired, the next request refreshes and is denied', async () => {
    const client = new CookieClient();
    await signIn(client, `${gw.url}/api/flows`, 'bob', 'bob');
    const before = sample(await kg.metrics(), 'keygate_session_refreshes_total', { result: 'success' });
    idp.setUserRoles('bob', { realmRoles: [] });
    await new Promise((r) => setTimeout(r, 2200));
    const res = await client.fetch(`${gw.url}/api/flows`, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 403);
    assert.ok(sample(await kg.metrics(), 'keygate_session_refreshes_total', { result: 'success' }) > before);
    idp.setUserRoles('bob', { realmRoles: ['engineer', 'viewer'] });
  });
  it('after the Keycloak session ended, the refresh fails and the user must sign in again', async () => {
    const client = new CookieClient();
    await signIn(client, `${gw.url}/api/flows`, 'carol', 'carol');
    await idp.endSessions('carol');
    await new Promise((r) => setTimeout(r, 2200));
    const api = await client.fetch(`${gw.url}/api/flows`, { headers: { accept: 'application/json' } });
    assert.equal(api.status, 401);
    const nav = await client.follow(`${gw.url}/api/flows`, { headers: NAVIGATE });
    assert.match(await nav.response.text(), /kc-form-login/, 'the login form again');
    assert.ok(sample(await kg.metrics(), 'keygate_session_refreshes_total', { result: 'failure' }) >= 1);
  });
  it('logout ends the Keycloak session: a new visit shows the login form, not a silent sign-in', async () => {
    const client = new CookieClient();
    await signIn(client, `${gw.url}/api/flows`, 'alice', 'alice');
    const out = await client.follow(`${gw.url}/_keygate/logout?rd=${encodeURIComponent(`${gw.url}/`)}`, { headers: NAVIGATE }, (next) => next.href === `${gw.url}/`);
    assert.equal(out.url.href, `${gw.url}/`);
    assert.equal(sessionCookies(client), '');
    const again = await client.follow(`${gw.url}/api/flows`, { headers: NAVIGATE });
    assert.match(await again.response.text(), /kc-form-login/);
    assert.ok(sample(await kg.metrics(), 'keygate_logouts_total', { kind: 'rp' }) >= 1);
  });
});

describe('bad callbacks and redirects', () => {
  async function callbackUrl(client: CookieClient): Promise<URL> {
    const first = await client.follow(`${gw.url}/api/flows`, { headers: NAVIGATE });
    const html = await first.response.text();
    const { submitLoginForm } = await import('../support/idp.js');
    const submitted = await submitLoginForm(client, { html, url: first.url }, 'alice', 'alice');
    const hop = await client.follow(new URL(submitted.headers.get('location') ?? '', first.url), {}, (next) => next.pathname === '/_keygate/callback');
    return hop.url;
  }
  it('a callback with a wrong state is refused and creates no session', async () => {
    const client = new CookieClient();
    const url = await callbackUrl(client);
    url.searchParams.set('state', 'forged-state');
    const res = await client.fetch(url);
    assert.equal(res.status, 400);
    assert.equal(sessionCookies(client), '');
  });
  it('a callback without the login cookie (no PKCE verifier) is refused', async () => {
    const client = new CookieClient();
    const url = await callbackUrl(client);
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.ok(!res.headers.getSetCookie().some((c) => /^keygate=[^;]/.test(c)));
  });
  it('a replayed code is refused', async () => {
    const client = new CookieClient();
    const url = await callbackUrl(client);
    const txCookie = client.cookieHeader(url);
    assert.equal((await client.fetch(url)).status, 302, 'first use signs in');
    const replay = await fetch(url, { redirect: 'manual', headers: { cookie: txCookie } });
    assert.equal(replay.status, 400);
    assert.ok(!replay.headers.getSetCookie().some((c) => /^keygate=[^;]/.test(c)));
    assert.ok(sample(await kg.metrics(), 'keygate_logins_total', { result: 'failure' }) >= 3);
  });
  for (const rd of ['https://evil.example', '//evil.example', '/\\evil.example']) {
    it(`rd=${rd} is refused`, async () => {
      const res = await fetch(`${gw.url}/_keygate/start?rd=${encodeURIComponent(rd)}`, { redirect: 'manual', headers: NAVIGATE });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      const direct = await fetch(`${kg.url}/_keygate/start?rd=${encodeURIComponent(rd)}`, { redirect: 'manual' });
      assert.equal(direct.status, 400);
    });
  }
  it('logins_total counts successes', async () => {
    assert.ok(sample(await kg.metrics(), 'keygate_logins_total', { result: 'success' }) >= 5);
  });
});
