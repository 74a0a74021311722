/**
 * Real Traefik 3.7 loaded with the shipped traefik/traefik.yml and traefik/dynamic/keygate.yml, keygate behind its
 * forwardAuth middleware, real Keycloak tokens (realm kg-accounts), and an echo app as the Prefect service.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { startKeygate, type TestKeygate } from '../../support/keygate.js';
import { realKeycloak, type RealKeycloak } from '../../support/keycloak.js';
import { requireReal } from '../../support/real-systems.js';
import { startTraefik, traefikRequest, type Traefik } from '../../support/traefik.js';
import { startUpstream, type Upstream } from '../../support/upstream.js';

const REALM = 'kg-accounts';
const HOST = 'prefect.example.com';
const POLICY = `version: 1
default: deny
rules:
  - name: health
    hosts: [${HOST}]
    paths: [/api/health]
    allow: public
  - name: api-write
    hosts: [${HOST}]
    paths: ["/api/**"]
    methods: [POST, PATCH, DELETE]
    allow: { anyRole: [engineer] }
  - name: api-read
    hosts: [${HOST}]
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
  - name: ui
    hosts: [${HOST}]
    paths: ["/**"]
    allow: authenticated
`;

interface Env { kc: RealKeycloak; kg: TestKeygate; app: Upstream; traefik: Traefik; alice: string; bob: string }
let setup: Promise<Env | undefined> | undefined;
let env: Env | undefined;
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const bin = requireReal(t, 'traefik');
  const kc = await realKeycloak(t, REALM);
  if (bin === undefined || kc === undefined) return undefined;
  const kg = await startKeygate(kc.issuer(REALM), POLICY, { env: { KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32' } });
  const app = await startUpstream();
  const traefik = await startTraefik(bin, { keygate: kg.url, app: app.url });
  const client = { id: 'keygate', secret: 'keygate-secret' };
  env = {
    kc, kg, app, traefik,
    alice: (await kc.password(REALM, client, 'alice', 'alice-password')).access_token,
    bob: (await kc.password(REALM, client, 'bob', 'bob-password')).access_token,
  };
  return env;
}

describe('real Traefik 3.7 with the shipped files', () => {
  after(async () => {
    await env?.traefik.stop();
    await env?.app.close();
    await env?.kg.close();
  });

  it('routes the UI and /api through the keygate middleware, with no rewrite, and the app receives the identity headers', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    for (const path of ['/api/flows?limit=5', '/dashboard?x=1']) {
      const seenBefore: number = e.app.seen.length;
      const res = await traefikRequest(e.traefik, path, { host: HOST, headers: { authorization: `Bearer ${e.alice}` } });
      assert.equal(res.status, 200, `${path}: ${res.body}`);
      const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
      assert.equal(seen.url, path, 'path and query reach the app unchanged');
      assert.equal(seen.headers['x-auth-user'], 'alice');
      assert.equal(seen.headers['x-auth-groups'], '/data/team-a');
      assert.equal(e.app.seen.length, seenBefore + 1);
      const anonymous = await traefikRequest(e.traefik, path, { host: HOST, headers: { accept: 'application/json' } });
      assert.equal(anonymous.status, 401, `${path} without credentials`);
      assert.equal(e.app.seen.length, seenBefore + 1, 'an unauthenticated request reached the app');
    }
    const line = e.kg.logs().filter((l) => l['msg'] === 'decision').at(-1);
    assert.equal(line?.['proxy'] ?? 'traefik', 'traefik');
  });
});
