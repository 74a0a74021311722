import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { createLocalJWKSet, jwtVerify } from 'jose';

import { INVALID_CREDENTIALS, type KeycloakLookalike } from '../../dev/idp/index.js';
import { BOB, CookieClient, KEYGATE_CLIENT, pkcePair, startTestIdp, submitLoginForm } from '../support/idp.js';
import { authorizationUrl, basic, codeFlow, decodeJwt, stringField, tokenRequest } from './helpers.js';

let idp: KeycloakLookalike;
let receiver: Server;
const logoutTokens: string[] = [];

before(async () => {
  // A client's back-channel logout endpoint that records the logout tokens it receives.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token !== null) logoutTokens.push(token);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  assert.ok(typeof address === 'object' && address !== null);
  idp = await startTestIdp({ backchannelLogoutUri: `http://127.0.0.1:${address.port}/_keygate/backchannel-logout` });
});
after(async () => {
  await idp.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const refresh = (refreshToken: string) => tokenRequest(
  idp, { grant_type: 'refresh_token', refresh_token: refreshToken }, basic(KEYGATE_CLIENT.clientId, KEYGATE_CLIENT.secret),
);

describe('authorization code flow with PKCE over plain HTTP', () => {
  it('GET auth → login form → POST credentials → code → access, ID and refresh tokens', async () => {
    const { accessToken, idToken, refreshToken } = await codeFlow(idp, BOB.username, BOB.password);
    const jwks = createLocalJWKSet(idp.publicJwks());
    const access = await jwtVerify(accessToken, jwks, { issuer: idp.issuer });
    assert.deepEqual(access.protectedHeader, { alg: 'RS256', typ: 'JWT', kid: idp.currentKid() });
    const claims = access.payload;
    assert.equal(claims.typ, 'Bearer');
    assert.equal(claims.sub, idp.subjectOf('bob'));
    assert.equal(claims.azp, 'keygate');
    assert.equal(claims.aud, 'account');
    assert.equal(claims.preferred_username, 'bob');
    assert.equal(claims.email, 'bob@example.com');
    assert.equal(claims.name, 'Bob Engineer');
    assert.deepEqual(claims.realm_access, { roles: ['engineer', 'viewer'] });
    assert.deepEqual(claims.resource_access, { prefect: { roles: ['operator'] } });
    assert.deepEqual(claims.groups, ['/data/team-b']);
    assert.equal(claims.scope, 'openid profile email');
    assert.equal(typeof claims.sid, 'string');
    assert.equal(Number(claims.exp) - Number(claims.iat), 300);

    const id = await jwtVerify(idToken, jwks, { issuer: idp.issuer, audience: 'keygate' });
    assert.equal(id.payload.typ, 'ID');
    assert.equal(id.payload.nonce, 'nonce-1');
    assert.equal(id.payload.sid, claims.sid, 'the ID token and the access token name the same session');
    assert.equal(id.payload.preferred_username, 'bob');
    assert.ok(refreshToken.length > 20);
  });

  it('the login page looks like Keycloak\'s, and a wrong password shows it again with an error', async () => {
    const client = new CookieClient();
    const redirectUri = 'http://127.0.0.1:9/_keygate/callback';
    const page = await client.follow(authorizationUrl(idp, redirectUri, pkcePair().challenge));
    const html = await page.response.text();
    assert.match(html, /<title>Sign in to demo<\/title>/);
    assert.match(html, /<form id="kc-form-login"[^>]* method="post">/);
    assert.match(html, /<input [^>]*id="username"[^>]*name="username"/);
    assert.match(html, /<input [^>]*id="password"[^>]*name="password"[^>]*type="password"/);
    assert.match(html, /<input [^>]*name="login" id="kc-login" type="submit" value="Sign In">/);
    assert.doesNotMatch(html, /Invalid username or password/);

    const retry = await submitLoginForm(client, { html, url: page.url }, 'bob', 'not-bobs-password');
    assert.equal(retry.status, 200);
    const again = await retry.text();
    assert.match(again, /id="kc-form-login"/);
    assert.ok(again.includes(INVALID_CREDENTIALS));
    assert.match(again, /id="username"[^>]*value="bob"/, 'the username is kept');
  });

  it('a second authorization request with the IdP session is a silent sign-in', async () => {
    const redirectUri = 'http://127.0.0.1:9/_keygate/callback';
    const { client } = await codeFlow(idp, 'alice', 'alice', redirectUri);
    const silent = await client.follow(authorizationUrl(idp, redirectUri, pkcePair().challenge), {}, (next) => next.href.startsWith(redirectUri));
    assert.equal(silent.response.status, 303);
    assert.ok(silent.url.searchParams.get('code'), 'a code without showing the form');
  });

  it('a redirect URI outside the client\'s patterns is refused', async () => {
    const url = authorizationUrl(idp, 'http://evil.example.com/_keygate/callback', pkcePair().challenge);
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /We are sorry/);
  });
});

describe('refresh', () => {
  it('re-reads the user\'s current roles and groups', async () => {
    const { refreshToken } = await codeFlow(idp, 'carol', 'carol');
    idp.setUserRoles('carol', { realmRoles: ['viewer'], clientRoles: { argo: ['submitter'] }, groups: ['/data/team-a'] });
    const answer = await refresh(refreshToken);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const { payload } = decodeJwt(stringField(answer.body, 'access_token'));
    assert.deepEqual(payload.realm_access, { roles: ['viewer'] });
    assert.deepEqual(payload.resource_access, { argo: { roles: ['submitter'] } });
    assert.deepEqual(payload.groups, ['/data/team-a']);
    assert.equal(typeof payload.sid, 'string');
    assert.equal(typeof answer.body.id_token, 'string');
  });

  it('fails with invalid_grant after endSessions, which also sends back-channel logout', async () => {
    const { refreshToken, accessToken } = await codeFlow(idp, 'alice', 'alice');
    assert.equal((await refresh(refreshToken)).status, 200, 'refresh works while the session lives');
    logoutTokens.length = 0;
    const result = await idp.endSessions('alice');
    assert.ok(result.sessions >= 1);
    assert.ok(result.backchannel.length >= 1);
    assert.ok(result.backchannel.every((delivery) => delivery.status === 200));

    const answer = await refresh(refreshToken);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_grant');

    const sid = decodeJwt(accessToken).payload.sid;
    const received = logoutTokens.map((token) => decodeJwt(token));
    const mine = received.find((token) => token.payload.sid === sid);
    assert.ok(mine !== undefined, 'a logout token for the session reached the client');
    assert.equal(mine.header.typ, 'logout+jwt');
    assert.equal(mine.payload.sub, idp.subjectOf('alice'));
    assert.equal(mine.payload.aud, 'keygate');
    const verified = await jwtVerify(logoutTokens[received.indexOf(mine)] ?? '', createLocalJWKSet(idp.publicJwks()), {
      issuer: idp.issuer, audience: 'keygate', typ: 'logout+jwt',
    });
    assert.deepEqual(verified.payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
  });
});

describe('RP-initiated logout', () => {
  it('with id_token_hint, redirects to post_logout_redirect_uri without a confirmation page and ends the session', async () => {
    const redirectUri = 'http://127.0.0.1:9/_keygate/callback';
    const { client, idToken, refreshToken } = await codeFlow(idp, 'bob', 'bob', redirectUri);
    const logout = new URL(`${idp.issuer}/protocol/openid-connect/logout`);
    logout.search = new URLSearchParams({
      id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:9/bye', state: 'after-logout',
    }).toString();
    const response = await client.fetch(logout);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), 'http://127.0.0.1:9/bye?state=after-logout');

    const next = await client.follow(authorizationUrl(idp, redirectUri, pkcePair().challenge), {}, (url) => url.href.startsWith(redirectUri));
    assert.equal(next.response.status, 200, 'the next visit shows the login form again');
    assert.match(await next.response.text(), /id="kc-form-login"/);
    assert.equal((await refresh(refreshToken)).body.error, 'invalid_grant');
  });

  it('with client_id and no redirect, ends the session and shows the logged-out page', async () => {
    const { client } = await codeFlow(idp, 'carol', 'carol');
    const logout = new URL(`${idp.issuer}/protocol/openid-connect/logout`);
    logout.search = new URLSearchParams({ client_id: 'keygate' }).toString();
    const { response } = await client.follow(logout);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /You are logged out/);
  });

  it('after the IdP session has already ended, still redirects at once (no auto-submit page)', async () => {
    const { client, idToken } = await codeFlow(idp, 'carol', 'carol');
    await idp.endSessions('carol');
    const logout = new URL(`${idp.issuer}/protocol/openid-connect/logout`);
    logout.search = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:9/bye' }).toString();
    const response = await client.fetch(logout);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), 'http://127.0.0.1:9/bye');
  });

  const sessionless = [
    { name: 'a tampered id_token_hint', params: async () => ({ id_token_hint: `${(await codeFlow(idp, 'bob', 'bob')).idToken}x` }) },
    { name: 'an unregistered post_logout_redirect_uri', params: async () => ({ client_id: 'keygate', post_logout_redirect_uri: 'https://evil.example.com/' }) },
    { name: 'an unknown client_id', params: async () => ({ client_id: 'nobody', post_logout_redirect_uri: 'http://127.0.0.1:9/bye' }) },
  ];
  for (const c of sessionless) {
    it(`without a session, refuses ${c.name} with 400`, async () => {
      const logout = new URL(`${idp.issuer}/protocol/openid-connect/logout`);
      logout.search = new URLSearchParams(await c.params()).toString();
      const response = await fetch(logout, { redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.match(await response.text(), /We are sorry/);
    });
  }

  it('refuses a post_logout_redirect_uri the client did not register', async () => {
    const { client, idToken } = await codeFlow(idp, 'bob', 'bob');
    const logout = new URL(`${idp.issuer}/protocol/openid-connect/logout`);
    logout.search = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example.com/' }).toString();
    const response = await client.fetch(logout);
    assert.equal(response.status, 400);
    await response.arrayBuffer();
  });
});
