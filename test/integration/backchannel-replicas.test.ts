import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, it } from 'node:test';
import { DEFAULT_HEADERS } from '../../src/config/session-settings.js';
import { startGateway, type Gateway } from '../../dev/gateway.js';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { createSessionModule } from '../../src/session/module.js';
import { CookieClient, startTestIdp } from '../support/idp.js';
import { sample, startKeygate, type TestKeygate } from '../support/keygate.js';
import { signIn } from '../support/login.js';
import { freePort } from '../support/proc.js';
import { eventually } from '../support/wait.js';
import { startRedis } from '../support/redis.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const POLICY = `version: 1
default: deny
rules:
  - name: ui
    paths: ["/**"]
    allow: authenticated
`;
const HEADERS = Object.values(DEFAULT_HEADERS);
const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});


it('two replicas share a real redis-server: a back-channel logout received by one revokes the session on the other; forged tokens revoke nothing', async (t) => {
  const redis = await startRedis(t);
  if (redis === undefined) return;
  const portA = await freePort();
  const idp: KeycloakLookalike = await startTestIdp({ backchannelLogoutUri: `http://127.0.0.1:${portA}/_keygate/backchannel-logout` });
  cleanup.push(() => idp.close());
  const env = { KEYGATE_REDIS_URL: redis.url, KEYGATE_REDIRECT_HOSTS: '127.0.0.1' };
  const a: TestKeygate = await startKeygate(idp.issuer, POLICY, { env: { ...env, KEYGATE_PORT: String(portA) }, service: { sessions: createSessionModule } });
  const b: TestKeygate = await startKeygate(idp.issuer, POLICY, { env, service: { sessions: createSessionModule } });
  cleanup.push(() => a.close(), () => b.close());
  const app: Upstream = await startUpstream();
  cleanup.push(() => app.close());
  const gwA: Gateway = await startGateway({ host: '127.0.0.1', port: 0, authUrl: `${a.url}/auth`, upstream: app.url, authResponseHeaders: HEADERS });
  const gwB: Gateway = await startGateway({ host: '127.0.0.1', port: 0, authUrl: `${b.url}/auth`, upstream: app.url, authResponseHeaders: HEADERS });
  cleanup.push(() => gwA.close(), () => gwB.close());

  const client = new CookieClient();
  await signIn(client, `${gwA.url}/`, 'alice', 'alice');
  const cookie = client.cookieHeader(new URL(gwA.url)).split('; ').filter((c) => c.startsWith('keygate')).join('; ');
  const onB = async (): Promise<number> => (await fetch(`${gwB.url}/x`, { headers: { cookie, accept: 'application/json' } })).status;
  assert.equal(await onB(), 200, 'replica B opens the session replica A created');

  const sid = 'irrelevant';
  const post = (token: string) => fetch(`${a.url}/_keygate/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) });
  const forged = [
    await idp.mintLogoutToken({ aud: 'keygate', sub: idp.subjectOf('alice') }, { alg: 'none' }),
    await idp.mintLogoutToken({ aud: 'keygate', sub: idp.subjectOf('alice') }, { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, kid: 'forged' }),
    await idp.mintLogoutToken({ aud: 'some-other-client', sub: idp.subjectOf('alice') }),
    await idp.mintLogoutToken({ aud: 'keygate', sub: idp.subjectOf('alice'), nonce: 'n' }),
    await idp.mintLogoutToken({ aud: 'keygate', sub: idp.subjectOf('alice'), events: { other: {} } }),
    await idp.mintLogoutToken({ aud: 'keygate', sid, iss: 'http://127.0.0.1:1/realms/evil' }),
    'not-a-token',
  ];
  for (const token of forged) assert.equal((await post(token)).status, 400);
  assert.equal(await onB(), 200, 'forged or unsigned logout tokens revoke nothing');
  assert.equal(sample(await a.metrics(), 'keygate_logouts_total', { kind: 'backchannel' }), 0);

  const ended = await idp.endSessions('alice');
  assert.ok(ended.backchannel.some((d) => d.status === 200), `Keycloak's logout token was accepted: ${JSON.stringify(ended.backchannel)}`);
  assert.ok(await eventually(async () => (await onB()) === 401), 'the session is revoked on replica B');
  assert.equal(sample(await a.metrics(), 'keygate_logouts_total', { kind: 'backchannel' }), 1);
});

it('while Redis is down, sessions are re-checked at Keycloak by a refresh (fail closed), and still work when the Keycloak session lives', async (t) => {
  const redis = await startRedis(t);
  if (redis === undefined) return;
  const idp = await startTestIdp();
  cleanup.push(() => idp.close());
  const kg = await startKeygate(idp.issuer, POLICY, { env: { KEYGATE_REDIS_URL: redis.url, KEYGATE_REDIRECT_HOSTS: '127.0.0.1' }, service: { sessions: createSessionModule } });
  cleanup.push(() => kg.close());
  const app = await startUpstream();
  cleanup.push(() => app.close());
  const gw = await startGateway({ host: '127.0.0.1', port: 0, authUrl: `${kg.url}/auth`, upstream: app.url, authResponseHeaders: HEADERS });
  cleanup.push(() => gw.close());
  const client = new CookieClient();
  await signIn(client, `${gw.url}/`, 'bob', 'bob');
  await redis.stop();
  const refreshes = () => kg.metrics().then((m) => sample(m, 'keygate_session_refreshes_total', { result: 'success' }));
  const before = await refreshes();
  assert.ok(await eventually(async () => {
    const res = await client.fetch(`${gw.url}/x`, { headers: { accept: 'application/json' } });
    return res.status === 200 && (await refreshes()) > before;
  }), 'a refresh at Keycloak stood in for the unavailable revocation list');
  await idp.endSessions('bob');
  assert.ok(await eventually(async () => (await client.fetch(`${gw.url}/x`, { headers: { accept: 'application/json' } })).status === 401, 10_000), 'an ended Keycloak session is refused even without Redis');
});

it('a bearer token whose Keycloak session was logged out (back-channel, by sid) is refused, cached or not', async () => {
  const idp = await startTestIdp();
  cleanup.push(() => idp.close());
  const kg = await startKeygate(idp.issuer, POLICY, { service: { sessions: createSessionModule } });
  cleanup.push(() => kg.close());
  const token = await idp.mintAccessToken({ sid: 'kc-session-42' }, { user: 'alice' });
  const other = await idp.mintAccessToken({ sid: 'kc-session-43' }, { user: 'alice' });
  const call = async (t: string) => (await kg.auth('GET', 'app.example.com', '/x', { authorization: `Bearer ${t}` })).status;
  assert.equal(await call(token), 200);
  const logout = await fetch(`${kg.url}/_keygate/backchannel-logout`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: await idp.mintLogoutToken({ aud: 'keygate', sid: 'kc-session-42' }) }),
  });
  assert.equal(logout.status, 200);
  assert.equal(await call(token), 401);
  assert.equal(await call(other), 200, 'other sessions are untouched');
});
