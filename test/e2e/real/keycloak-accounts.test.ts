/**
 * Real Keycloak, realm kg-accounts: users (password grant) and service accounts (client credentials) allowed and
 * denied by realm roles, client roles and group paths; aud=account with azp; what keygate sends upstream.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { startKeygate, type TestKeygate } from '../../support/keygate.js';
import { jwtPayload, realKeycloak, type RealKeycloak } from '../../support/keycloak.js';

const REALM = 'kg-accounts';
const POLICY = `version: 1
default: deny
rules:
  - name: run-deployment
    paths: ["/api/deployments/*/create_flow_run"]
    methods: [POST]
    allow: { anyRole: ["prefect:operator"] }
  - name: admin
    paths: ["/api/admin/**"]
    allow: { anyGroup: [/platform] }
  - name: write
    paths: ["/api/**"]
    methods: [POST, PATCH, DELETE]
    allow: { anyRole: [engineer] }
  - name: read
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
`;

let kc: RealKeycloak | undefined;
let kg: TestKeygate | undefined;
const tokens = new Map<string, string>();

describe('real Keycloak 26: users and service accounts (realm kg-accounts)', () => {
  let setup: Promise<boolean> | undefined;
  /** Keycloak, keygate and the tokens, once for the file; false when the suite runs without a real Keycloak. */
  const ready = (t: TestContext): Promise<boolean> => (setup ??= start(t));
  const start = async (t: TestContext): Promise<boolean> => {
    kc = await realKeycloak(t, REALM);
    if (kc === undefined) return false;
    kg = await startKeygate(kc.issuer(REALM), POLICY, { env: { KEYGATE_AUTHORIZED_PARTIES: 'keygate,ci-reader' } });
    const client = { id: 'keygate', secret: 'keygate-secret' };
    for (const u of ['alice', 'bob', 'carol']) tokens.set(u, (await kc.password(REALM, client, u, `${u}-password`)).access_token);
    tokens.set('ci-runner', (await kc.clientCredentials(REALM, 'ci-runner', 'ci-runner-secret')).access_token);
    tokens.set('ci-reader', (await kc.clientCredentials(REALM, 'ci-reader', 'ci-reader-secret')).access_token);
    tokens.set('no-aud-app', (await kc.password(REALM, { id: 'no-aud-app', secret: 'no-aud-app-secret' }, 'alice', 'alice-password')).access_token);
    return true;
  };
  after(async () => kg?.close());

  const call = async (who: string, method: string, uri: string): Promise<Response> => {
    assert.ok(kg !== undefined);
    return kg.auth(method, 'prefect.example.com', uri, { authorization: `Bearer ${tokens.get(who) ?? ''}` });
  };

  it('Keycloak 26 access tokens have the shape keygate expects (aud, azp, sid, typ Bearer, no session_state)', async (t) => {
    if (!(await ready(t))) return;
    const alice = jwtPayload(tokens.get('alice') ?? '');
    assert.equal(alice['typ'], 'Bearer');
    assert.equal(alice['azp'], 'keygate');
    // One audience is serialised as a string (["keygate", "account"] would be an array): keygate takes both forms.
    assert.equal(alice['aud'], 'keygate');
    assert.equal(typeof alice['sid'], 'string');
    assert.equal(alice['session_state'], undefined);
    assert.deepEqual(alice['groups'], ['/data/team-a']);
    const reader = jwtPayload(tokens.get('ci-reader') ?? '');
    // No audience mapper: `aud` holds only clients the account has roles of (AudienceResolveProtocolMapper). An
    // imported service account with explicit roles has no default `account` roles, so Keycloak 26.7.3 sends no aud.
    assert.ok(reader['aud'] === undefined || reader['aud'] === 'account', `a client without an audience mapper gets no keygate audience, got ${JSON.stringify(reader['aud'])}`);
    assert.equal(reader['preferred_username'], 'service-account-ci-reader');
  });

  const table: Array<{ name: string; who: string; method: string; uri: string; want: number; rule?: string }> = [
    { name: 'a viewer reads', who: 'alice', method: 'GET', uri: '/api/flows?limit=5', want: 200, rule: 'read' },
    { name: 'a viewer cannot write', who: 'alice', method: 'POST', uri: '/api/flows', want: 403, rule: 'write' },
    { name: 'a viewer cannot run a deployment', who: 'alice', method: 'POST', uri: '/api/deployments/d1/create_flow_run', want: 403, rule: 'run-deployment' },
    { name: 'an engineer writes (realm role)', who: 'bob', method: 'POST', uri: '/api/flows', want: 200, rule: 'write' },
    { name: 'an operator runs a deployment (client role prefect:operator)', who: 'bob', method: 'POST', uri: '/api/deployments/d1/create_flow_run', want: 200, rule: 'run-deployment' },
    { name: 'a member of /platform/admins reaches admin (group path, subgroup)', who: 'carol', method: 'GET', uri: '/api/admin/settings', want: 200, rule: 'admin' },
    { name: 'an engineer outside /platform is refused admin', who: 'bob', method: 'GET', uri: '/api/admin/settings', want: 403, rule: 'admin' },
    { name: 'a service account with the client role runs a deployment', who: 'ci-runner', method: 'POST', uri: '/api/deployments/d1/create_flow_run', want: 200, rule: 'run-deployment' },
    { name: 'a service account with viewer reads (aud=account, accepted through azp)', who: 'ci-reader', method: 'GET', uri: '/api/flows', want: 200, rule: 'read' },
    { name: 'a viewer service account cannot write', who: 'ci-reader', method: 'POST', uri: '/api/flows', want: 403, rule: 'write' },
    { name: 'a token for a client neither in audiences nor authorizedParties is refused', who: 'no-aud-app', method: 'GET', uri: '/api/flows', want: 401 },
  ];
  for (const c of table) {
    it(c.name, async (t) => {
      if (!(await ready(t))) return;
      const res = await call(c.who, c.method, c.uri);
      assert.equal(res.status, c.want, `${c.who} ${c.method} ${c.uri}: ${await res.text()}`);
      if (c.rule !== undefined) {
        const line = kg?.logs().filter((l) => l['msg'] === 'decision').at(-1);
        assert.equal(line?.['rule'], c.rule, JSON.stringify(line));
      }
    });
  }

  it('an allowed answer carries the identity headers from the real token', async (t) => {
    if (!(await ready(t))) return;
    const bob = await call('bob', 'GET', '/api/flows');
    assert.equal(bob.status, 200);
    assert.equal(bob.headers.get('x-auth-user'), 'bob');
    assert.equal(bob.headers.get('x-auth-email'), 'bob@example.com');
    assert.equal(bob.headers.get('x-auth-name'), 'Bob Engineer');
    assert.equal(bob.headers.get('x-auth-subject'), jwtPayload(tokens.get('bob') ?? '')['sub']);
    assert.equal(bob.headers.get('x-auth-groups'), '/data/team-b');
    const roles = (bob.headers.get('x-auth-roles') ?? '').split(',');
    for (const r of ['engineer', 'viewer', 'prefect:operator']) assert.ok(roles.includes(r), `roles ${roles.join(',')} lack ${r}`);
    const sa = await call('ci-runner', 'GET', '/api/flows');
    assert.equal(sa.headers.get('x-auth-user'), 'service-account-ci-runner');
    assert.equal(sa.headers.get('x-auth-groups'), '/data/team-b');
  });
});
