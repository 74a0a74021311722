/**
 * Real Keycloak, realm kg-accounts, client `lightweight` ("client.use.lightweight.access.token.enabled"): its access
 * tokens carry no aud and no roles (a user's has no sub either). With KEYGATE_INTROSPECTION=true keygate verifies the
 * signature, iss and exp, then introspects with its own client credentials and decides on the full claims; with
 * introspection off it refuses them with 401 and a log detail that names the setting.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { sample, startKeygate, type TestKeygate } from '../../support/keygate.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jwtPayload, realKeycloak, type RealKeycloak } from '../../support/keycloak.js';
import { ROOT } from '../../support/proxies.js';

const REALM = 'kg-accounts';
const POLICY = `version: 1
default: deny
rules:
  - name: write
    paths: ["/api/**"]
    methods: [POST, PATCH, DELETE]
    allow: { anyRole: [engineer] }
  - name: read
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
`;
const LIGHTWEIGHT = { id: 'lightweight', secret: 'lightweight-secret' };
const NO_AUDIENCE = { id: 'lightweight-no-aud', secret: 'lightweight-no-aud-secret' };

/** Creates a client of the realm file that a long-running Keycloak (imported before it was added) lacks. */
async function ensureClient(kc: RealKeycloak, clientId: string): Promise<void> {
  const found = await kc.admin('GET', `/${REALM}/clients?clientId=${encodeURIComponent(clientId)}`) as unknown[];
  if (found.length > 0) return;
  const doc = JSON.parse(readFileSync(join(ROOT, 'test/e2e/real/realms/kg-accounts-realm.json'), 'utf8')) as { clients: Array<{ clientId: string }> };
  await kc.admin('POST', `/${REALM}/clients`, doc.clients.find((c) => c.clientId === clientId));
}

let withIntrospection: TestKeygate | undefined;
let without: TestKeygate | undefined;
const tokens = new Map<string, string>();

describe('real Keycloak 26: lightweight access tokens (realm kg-accounts, client lightweight)', () => {
  let setup: Promise<boolean> | undefined;
  const ready = (t: TestContext): Promise<boolean> => (setup ??= start(t));
  const start = async (t: TestContext): Promise<boolean> => {
    const kc = await realKeycloak(t, REALM);
    if (kc === undefined) return false;
    // Neither keygate names the client `lightweight` as an authorized party: the audience comes from introspection.
    const env = { KEYGATE_AUTHORIZED_PARTIES: 'keygate' };
    withIntrospection = await startKeygate(kc.issuer(REALM), POLICY, { env: { ...env, KEYGATE_INTROSPECTION: 'true' } });
    without = await startKeygate(kc.issuer(REALM), POLICY, { env });
    tokens.set('service-account', (await kc.clientCredentials(REALM, LIGHTWEIGHT.id, LIGHTWEIGHT.secret)).access_token);
    tokens.set('bob', (await kc.password(REALM, LIGHTWEIGHT, 'bob', 'bob-password')).access_token);
    tokens.set('alice', (await kc.password(REALM, LIGHTWEIGHT, 'alice', 'alice-password')).access_token);
    await ensureClient(kc, NO_AUDIENCE.id);
    tokens.set('no-audience', (await kc.password(REALM, NO_AUDIENCE, 'bob', 'bob-password')).access_token);
    return true;
  };
  after(async () => {
    await withIntrospection?.close();
    await without?.close();
  });

  const call = async (kg: TestKeygate | undefined, who: string, method: string): Promise<Response> => {
    assert.ok(kg !== undefined);
    return kg.auth(method, 'prefect.example.com', '/api/flows', { authorization: `Bearer ${tokens.get(who) ?? ''}` });
  };

  it('Keycloak 26.7 lightweight tokens: no aud and no roles; a user\'s has no sub, a service account\'s keeps it', async (t) => {
    if (!(await ready(t))) return;
    for (const who of ['service-account', 'bob']) {
      const p = jwtPayload(tokens.get(who) ?? '');
      assert.equal(p['azp'], 'lightweight');
      assert.equal(p['typ'], 'Bearer');
      for (const absent of ['aud', 'realm_access', 'resource_access', 'groups', 'preferred_username']) assert.equal(p[absent], undefined, `${who}: ${absent}`);
    }
    assert.equal(jwtPayload(tokens.get('bob') ?? '')['sub'], undefined);
    assert.equal(typeof jwtPayload(tokens.get('service-account') ?? '')['sub'], 'string');
  });

  const table: Array<{ name: string; who: string; method: string; want: number; user?: string; rule: string }> = [
    { name: 'a service account with engineer writes', who: 'service-account', method: 'POST', want: 200, user: 'service-account-lightweight', rule: 'write' },
    { name: 'an engineer (user) writes', who: 'bob', method: 'POST', want: 200, user: 'bob', rule: 'write' },
    { name: 'a viewer (user) reads', who: 'alice', method: 'GET', want: 200, user: 'alice', rule: 'read' },
    { name: 'a viewer (user) cannot write: the roles are the introspected ones', who: 'alice', method: 'POST', want: 403, rule: 'write' },
  ];
  for (const c of table) {
    it(`introspection on: ${c.name}`, async (t) => {
      if (!(await ready(t))) return;
      const res = await call(withIntrospection, c.who, c.method);
      assert.equal(res.status, c.want, await res.text());
      if (c.user !== undefined) assert.equal(res.headers.get('x-auth-user'), c.user);
      const line = withIntrospection?.logs().filter((l) => l['msg'] === 'decision').at(-1);
      assert.equal(line?.['rule'], c.rule, JSON.stringify(line));
    });
  }

  it('introspection on: groups and client roles come back from introspection; a second request is answered from the cache', async (t) => {
    if (!(await ready(t))) return;
    const metrics = async () => sample(await withIntrospection!.metrics(), 'keygate_token_verifications_total', { via: 'introspection', result: 'valid' });
    const first = await call(withIntrospection, 'bob', 'GET');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-auth-groups'), '/data/team-b');
    assert.ok((first.headers.get('x-auth-roles') ?? '').split(',').includes('prefect:operator'), first.headers.get('x-auth-roles') ?? '');
    const before = await metrics();
    assert.equal((await call(withIntrospection, 'bob', 'GET')).status, 200);
    assert.equal(await metrics(), before, 'no second introspection');
  });

  for (const who of ['service-account', 'bob']) {
    it(`introspection off: ${who}'s lightweight token is refused with 401, and the log names the setting`, async (t) => {
      if (!(await ready(t))) return;
      const res = await call(without, who, 'GET');
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
      const line = without?.logs().filter((l) => l['msg'] === 'decision').at(-1);
      assert.match(String(line?.['detail']), /lightweight access token \(client "lightweight" has "client\.use\.lightweight\.access\.token\.enabled"\); set KEYGATE_INTROSPECTION=true/, JSON.stringify(line));
      assert.doesNotMatch(JSON.stringify(line), /eyJ/, 'no token in the log');
    });
  }

  it('introspection on, but keygate not in the audience: Keycloak answers active=false (26.6.2+), keygate says why', async (t) => {
    if (!(await ready(t))) return;
    const res = await call(withIntrospection, 'no-audience', 'GET');
    assert.equal(res.status, 401);
    const line = withIntrospection?.logs().filter((l) => l['msg'] === 'decision').at(-1);
    assert.match(String(line?.['detail']), /active=false .*keygate is not in its audience .*client "lightweight-no-aud" an audience mapper for keygate/, JSON.stringify(line));
  });

  it('a normal token of the same realm is never introspected', async (t) => {
    if (!(await ready(t))) return;
    const kc = await realKeycloak(t, REALM);
    if (kc === undefined) return;
    const normal = (await kc.password(REALM, { id: 'keygate', secret: 'keygate-secret' }, 'bob', 'bob-password')).access_token;
    const before = sample(await withIntrospection!.metrics(), 'keygate_token_verifications_total', { via: 'introspection' });
    const res = await withIntrospection!.auth('POST', 'prefect.example.com', '/api/flows', { authorization: `Bearer ${normal}` });
    assert.equal(res.status, 200);
    assert.equal(sample(await withIntrospection!.metrics(), 'keygate_token_verifications_total', { via: 'introspection' }), before);
  });
});
