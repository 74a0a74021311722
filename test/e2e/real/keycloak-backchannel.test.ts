/**
 * Real Keycloak, realm kg-backchannel: back-channel logout from Keycloak itself. The keygate client's
 * `backchannel.logout.url` (session required) points at replica A; replicas A and B share one real redis-server.
 * Ending a session through the admin API (DELETE /sessions/{sid}, POST /users/{id}/logout) makes Keycloak POST a
 * logout token to A, and both replicas then refuse that session's bearer token, while another session's token works.
 * The client's attributes are restored afterwards.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { createSessionModule } from '../../../src/session/module.js';
import { sample, startKeygate, type TestKeygate } from '../../support/keygate.js';
import { jwtPayload, realKeycloak, type RealKeycloak } from '../../support/keycloak.js';
import { freePort } from '../../support/proc.js';
import { startRedis } from '../../support/redis.js';
import { eventually } from '../../support/wait.js';

const REALM = 'kg-backchannel';
const POLICY = `version: 1
default: deny
rules:
  - name: api
    paths: ["/api/**"]
    allow: authenticated
`;
const KEYGATE = { id: 'keygate', secret: 'keygate-secret' };

interface ClientRep { id: string; attributes?: Record<string, string> }

describe('real Keycloak 26: back-channel logout to two keygate replicas sharing redis-server (realm kg-backchannel)', () => {
  let original: { kc: RealKeycloak; client: ClientRep } | undefined;
  // The client as imported, restored once (each test re-points the URL at its own replica A).
  after(async () => {
    if (original !== undefined) await original.kc.admin('PUT', `/${REALM}/clients/${original.client.id}`, original.client);
  });

  /** Redis, replicas A and B (stopped when the test ends), Keycloak pointed at A; undefined without real systems. */
  const setup = async (t: TestContext): Promise<{ kc: RealKeycloak; a: TestKeygate; b: TestKeygate } | undefined> => {
    const kc = await realKeycloak(t, REALM);
    if (kc === undefined) return undefined;
    const redis = await startRedis(t);
    if (redis === undefined) return undefined;
    const env = { KEYGATE_REDIS_URL: redis.url, KEYGATE_REDIRECT_HOSTS: '127.0.0.1' };
    const a = await startKeygate(kc.issuer(REALM), POLICY, { env: { ...env, KEYGATE_PORT: String(await freePort()) }, service: { sessions: createSessionModule } });
    t.after(() => a.close());
    const b = await startKeygate(kc.issuer(REALM), POLICY, { env, service: { sessions: createSessionModule } });
    t.after(() => b.close());
    const uuid = await kc.clientUuid(REALM, 'keygate');
    const current = await kc.admin('GET', `/${REALM}/clients/${uuid}`) as ClientRep;
    original ??= { kc, client: current };
    await kc.admin('PUT', `/${REALM}/clients/${uuid}`, {
      ...current,
      attributes: {
        ...current.attributes,
        'backchannel.logout.url': `${a.url}/_keygate/backchannel-logout`,
        'backchannel.logout.session.required': 'true',
        'backchannel.logout.revoke.offline.tokens': 'false',
      },
    });
    return { kc, a, b };
  };

  it('a session ended through the admin API is refused on both replicas; another session of the same user still works', async (t) => {
    const r = await setup(t);
    if (r === undefined) return;
    const { kc, a, b } = r;
    const ended = await kc.password(REALM, KEYGATE, 'alice', 'alice-password');
    const kept = await kc.password(REALM, KEYGATE, 'alice', 'alice-password');
    const sid = String(jwtPayload(ended.access_token)['sid']);
    assert.notEqual(sid, String(jwtPayload(kept.access_token)['sid']), 'two password grants, two Keycloak sessions');
    const status = async (kg: TestKeygate, token: string): Promise<number> => (await kg.auth('GET', 'app.example.com', '/api/x', { authorization: `Bearer ${token}` })).status;
    for (const kg of [a, b]) for (const tok of [ended, kept]) assert.equal(await status(kg, tok.access_token), 200);

    await kc.admin('DELETE', `/${REALM}/sessions/${encodeURIComponent(sid)}`);
    const refused = await eventually(async () => (await status(a, ended.access_token)) === 401 && (await status(b, ended.access_token)) === 401, 10_000);
    assert.ok(refused, `both replicas refuse the ended session's token (A: ${await status(a, ended.access_token)}, B: ${await status(b, ended.access_token)}); A's log: ${JSON.stringify(a.logs().filter((l) => String(l['msg']).includes('logout')).slice(-3))}`);
    assert.equal(sample(await a.metrics(), 'keygate_logouts_total', { kind: 'backchannel' }), 1, 'Keycloak delivered one logout token, to A');
    assert.equal(sample(await b.metrics(), 'keygate_logouts_total', { kind: 'backchannel' }), 0, 'B learnt it through Redis');
    for (const kg of [a, b]) assert.equal(await status(kg, kept.access_token), 200, 'the other session is untouched');
  });

  it('POST /users/{id}/logout ends every session of that user on both replicas, and no one else\'s', async (t) => {
    const r = await setup(t);
    if (r === undefined) return;
    const { kc: k, a, b } = r;
    const bob = [await k.password(REALM, KEYGATE, 'bob', 'bob-password'), await k.password(REALM, KEYGATE, 'bob', 'bob-password')];
    const carol = await k.password(REALM, KEYGATE, 'carol', 'carol-password');
    const status = async (kg: TestKeygate, token: string): Promise<number> => (await kg.auth('GET', 'app.example.com', '/api/x', { authorization: `Bearer ${token}` })).status;
    for (const kg of [a, b]) for (const tok of [...bob, carol]) assert.equal(await status(kg, tok.access_token), 200);
    await k.admin('POST', `/${REALM}/users/${await k.userId(REALM, 'bob')}/logout`);
    const all = async (want: number) => {
      for (const kg of [a, b]) for (const tok of bob) if ((await status(kg, tok.access_token)) !== want) return false;
      return true;
    };
    assert.ok(await eventually(() => all(401), 10_000), 'both of bob\'s sessions are refused on both replicas');
    for (const kg of [a, b]) assert.equal(await status(kg, carol.access_token), 200, 'carol is untouched');
  });
});
