import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { DEFAULT_HEADERS } from '../../src/config/session-settings.js';
import { startGateway, type Gateway } from '../../dev/gateway.js';
import { createSessionModule } from '../../src/session/module.js';
import { CookieClient, startTestIdp } from '../support/idp.js';
import { sample, startKeygate, type TestKeygate } from '../support/keygate.js';
import { NAVIGATE, signIn } from '../support/login.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

// Issue #12 point 2: the policy names no hosts and there are no redirectHosts, so before the fix only
// cookieDomain could make a logout rd acceptable, and `rd` on the very host the request came to got 400.
const POLICY = `version: 1
default: deny
rules:
  - name: ui
    paths: ["/**"]
    allow: authenticated
`;

let idp: KeycloakLookalike;
let kg: TestKeygate;
let gw: Gateway;
let app: Upstream;

before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, POLICY, { service: { sessions: createSessionModule } });
  app = await startUpstream();
  gw = await startGateway({ host: '127.0.0.1', port: 0, authUrl: `${kg.url}/auth`, upstream: app.url, authResponseHeaders: Object.values(DEFAULT_HEADERS) });
});
after(async () => {
  await gw.close();
  await app.close();
  await kg.close();
  await idp.close();
});

const sessionCookies = (client: CookieClient): string => client.cookieHeader(new URL(gw.url)).split('; ').filter((c) => /^keygate(\.\d+)?=/.test(c)).join('; ');

/** The old session cookie, replayed on its own after logout: a revoked session is anonymous (401), never 200. */
async function replay(cookie: string): Promise<number> {
  const r = await kg.auth('GET', new URL(gw.url).host, '/api/flows', { cookie, accept: 'application/json' });
  await r.arrayBuffer();
  return r.status;
}

describe('logout always logs out (issue #12 point 2)', () => {
  it('rd on the very host the request came to is allowed when the policy names no hosts', async () => {
    const client = new CookieClient();
    await signIn(client, `${gw.url}/api/flows`, 'alice', 'alice');
    const old = sessionCookies(client);
    assert.notEqual(old, '');
    const first = await client.fetch(`${gw.url}/_keygate/logout?rd=${encodeURIComponent(`${gw.url}/bye`)}`, { headers: NAVIGATE });
    assert.equal(first.status, 302);
    assert.match(first.headers.get('location') ?? '', new RegExp(`post_logout_redirect_uri=${encodeURIComponent(`${gw.url}/bye`).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const out = await client.follow(new URL(first.headers.get('location') ?? '', gw.url), {}, (next) => next.href === `${gw.url}/bye`);
    assert.equal(out.url.href, `${gw.url}/bye`);
    assert.equal(sessionCookies(client), '');
    assert.equal(await replay(old), 401);
    const again = await client.follow(`${gw.url}/api/flows`, { headers: NAVIGATE });
    assert.match(await again.response.text(), /kc-form-login/, 'the Keycloak session ended too');
  });

  it('an API call replaying a logged-out session is told the session ended: 401 ERR_SESSION_EXPIRED (issue 17 point 2)', async () => {
    const client = new CookieClient();
    await signIn(client, `${gw.url}/api/flows`, 'carol', 'carol');
    const old = sessionCookies(client);
    const out = await client.fetch(`${gw.url}/_keygate/logout`, { headers: NAVIGATE });
    await out.arrayBuffer();
    const r = await kg.auth('GET', new URL(gw.url).host, '/api/flows', { cookie: old, accept: 'application/json' });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="keygate"');
    assert.deepEqual(await r.json(), { error: 'unauthorized', error_description: 'the session has ended; sign in again' });
    const line = kg.logs().filter((l) => l['msg'] === 'decision').at(-1);
    assert.deepEqual([line?.['status'], line?.['reason'], line?.['error']], [401, 'session_expired', 'ERR_SESSION_EXPIRED']);
  });

  it('a refused rd still clears the cookie, revokes the session and ends the Keycloak session, then goes to the default page', async () => {
    const client = new CookieClient();
    await signIn(client, `${gw.url}/api/flows`, 'bob', 'bob');
    const old = sessionCookies(client);
    const before = sample(await kg.metrics(), 'keygate_logouts_total', { kind: 'rp' });
    const first = await client.fetch(`${gw.url}/_keygate/logout?rd=${encodeURIComponent('https://evil.example/phish')}`, { headers: NAVIGATE });
    assert.equal(first.status, 302, 'never a 400 that leaves the session alive');
    const location = new URL(first.headers.get('location') ?? '', gw.url);
    assert.equal(`${location.origin}${location.pathname}`, `${new URL(idp.issuer).origin}${new URL(idp.issuer).pathname}/protocol/openid-connect/logout`);
    assert.equal(location.searchParams.get('post_logout_redirect_uri'), null, 'the refused target is dropped, never passed on');
    assert.ok(location.searchParams.get('id_token_hint'), 'the Keycloak session is ended with the id token');
    assert.match(first.headers.getSetCookie().join('\n'), /^keygate=; .*Max-Age=0/m);
    await client.follow(location);
    assert.equal(sessionCookies(client), '');
    assert.equal(await replay(old), 401);
    const again = await client.follow(`${gw.url}/api/flows`, { headers: NAVIGATE });
    assert.match(await again.response.text(), /kc-form-login/, 'the Keycloak session ended too');
    assert.equal(sample(await kg.metrics(), 'keygate_logouts_total', { kind: 'rp' }), before + 1);
  });

  it('an unreadable session cookie with a refused rd still clears the cookie and ends at Keycloak, never an error page', async () => {
    const r = await kg.auth('GET', new URL(gw.url).host, `/_keygate/logout?rd=${encodeURIComponent('https://evil.example/')}`, { cookie: 'keygate=not-a-sealed-session; keygate.1=garbage', ...NAVIGATE });
    assert.equal(r.status, 302);
    const location = new URL(r.headers.get('location') ?? '');
    assert.equal(location.pathname, `${new URL(idp.issuer).pathname}/protocol/openid-connect/logout`);
    assert.equal(location.searchParams.get('client_id'), 'keygate', 'without a session the end-session request names the client');
    assert.equal(location.searchParams.get('post_logout_redirect_uri'), null);
    const cleared = r.headers.getSetCookie().join('\n');
    assert.match(cleared, /^keygate=; .*Max-Age=0/m);
    assert.match(cleared, /^keygate\.1=; .*Max-Age=0/m);
  });

  it('a direct logout from a peer outside trustedProxies gets no same-host exception for its Host, and still signs out', async () => {
    // A second replica trusting no local peer: its Host header could be anything a client wants.
    const untrusting = await startKeygate(idp.issuer, POLICY, { env: { KEYGATE_TRUSTED_PROXIES: '10.0.0.0/8' }, service: { sessions: createSessionModule } });
    try {
      const client = new CookieClient();
      await signIn(client, `${gw.url}/api/flows`, 'carol', 'carol');
      const old = sessionCookies(client);
      const r = await fetch(`${untrusting.url}/_keygate/logout?rd=${encodeURIComponent(`${untrusting.url}/x`)}`, { headers: { cookie: old }, redirect: 'manual' });
      assert.equal(r.status, 302);
      const location = new URL(r.headers.get('location') ?? '');
      assert.equal(location.pathname, `${new URL(idp.issuer).pathname}/protocol/openid-connect/logout`);
      assert.equal(location.searchParams.get('post_logout_redirect_uri'), null);
      assert.match(r.headers.getSetCookie().join('\n'), /^keygate=; .*Max-Age=0/m);
    } finally {
      await untrusting.close();
    }
  });
});
