/**
 * Client-forged headers through real Traefik 3.7 with the shipped files. The test client is on loopback, outside the
 * static file's forwardedHeaders.trustedIPs (10.0.0.0/8): an untrusted client, as on the internet.
 * - Forged identity headers (X-Auth-*, and aliases such as X_Auth_User that CGI/WSGI backends read as X-Auth-User)
 *   never reach the app, with a valid token or anonymously on a public path.
 * - Forged X-Forwarded-Uri, -Host, -Method (and nginx's X-Original-*) never change keygate's decision.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type { TestKeygate } from '../../support/keygate.js';
import { traefikRequest, type Traefik } from '../../support/traefik.js';
import { traefikStack } from '../../support/traefik-stack.js';
import { startUpstream, type Upstream } from '../../support/upstream.js';

const REALM = 'kg-accounts';
const HOST = 'prefect.example.com';
/** A host whose every path is public: a forged X-Forwarded-Host naming it must not open prefect.example.com. */
const OPEN_HOST = 'open.example.com';
const POLICY = `version: 1
default: deny
rules:
  - name: open-host
    hosts: [${OPEN_HOST}]
    paths: ["/**"]
    allow: public
  - name: health
    hosts: [${HOST}]
    paths: [/api/health]
    allow: public
  - name: admin-api
    hosts: [${HOST}]
    paths: ["/api/admin/**"]
    allow: { anyRole: [admin] }
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
/** Every identity header keygate sends, forged as carol the admin. */
const FORGED_IDENTITY = {
  'X-Auth-User': 'carol', 'X-Auth-Email': 'carol@example.com', 'X-Auth-Subject': 'carol-sub', 'X-Auth-Name': 'Carol',
  'X-Auth-Roles': 'admin', 'X-Auth-Groups': '/platform/admins',
  // Aliases: distinct header names to Traefik and Go, the same variable (HTTP_X_AUTH_USER) to CGI, WSGI and PHP.
  'X_Auth_User': 'carol', 'X.Auth.User': 'carol', 'X_Auth_Roles': 'admin', 'x-auth_groups': '/platform/admins',
} as const;

interface Env { kg: TestKeygate; app: Upstream; traefik: Traefik; alice: string }
const stack = traefikStack({ realm: REALM, policy: POLICY, app: startUpstream });
let setup: Promise<Env | undefined> | undefined;
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const s = await stack.ready(t);
  return s === undefined ? undefined : { ...s, alice: await s.token('alice') };
}

type Seen = { method: string; url: string; headers: Record<string, string | undefined> };

/** Headers the app received whose names a CGI-style backend would read as an X-Auth-* header. */
function identityLike(seen: Seen): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(seen.headers).filter(([k]) => k.replace(/[_.]/g, '-').startsWith('x-auth-')));
}

/** keygate's decision log lines since `from`. */
function decisions(kg: TestKeygate, from: number): Array<Record<string, unknown>> {
  return kg.logs().filter((l) => l['msg'] === 'decision').slice(from);
}
const decisionCount = (kg: TestKeygate): number => decisions(kg, 0).length;

describe('real Traefik 3.7: client-forged headers', () => {
  after(() => stack.stop());

  it('forged X-Auth-* headers and their X_Auth_User-style aliases never reach the app, with a valid token', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const res = await traefikRequest(e.traefik, '/api/flows', { host: HOST, headers: { authorization: `Bearer ${e.alice}`, ...FORGED_IDENTITY } });
    assert.equal(res.status, 200, res.body);
    const seen = JSON.parse(res.body) as Seen;
    assert.deepEqual(identityLike(seen), {
      'x-auth-user': 'alice', 'x-auth-email': 'alice@example.com', 'x-auth-subject': seen.headers['x-auth-subject'], 'x-auth-name': 'Alice Viewer',
      'x-auth-roles': seen.headers['x-auth-roles'], 'x-auth-groups': '/data/team-a',
    }, 'exactly keygate\'s identity headers, with keygate\'s values');
    assert.notEqual(seen.headers['x-auth-subject'], 'carol-sub');
    assert.ok(!(seen.headers['x-auth-roles'] ?? '').split(',').includes('admin'), `roles: ${seen.headers['x-auth-roles']}`);
  });

  it('forged X-Auth-* headers and aliases never reach the app anonymously, on a public path', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const res = await traefikRequest(e.traefik, '/api/health', { host: HOST, headers: FORGED_IDENTITY });
    assert.equal(res.status, 200, res.body);
    const seen = JSON.parse(res.body) as Seen;
    const forged = Object.entries(identityLike(seen)).filter(([, v]) => v !== '');
    assert.deepEqual(forged, [], 'an anonymous request carries no identity (keygate sends the headers empty)');
  });

  const forgedTargets = [
    {
      name: 'X-Forwarded-Uri naming a public path, on /api/flows without credentials',
      method: 'GET', path: '/api/flows?limit=1', token: false, forged: { 'X-Forwarded-Uri': '/api/health' },
      want: { status: 401, decision: 'unauthenticated', rule: 'api-read', method: 'GET', host: HOST, path: '/api/flows' },
    },
    {
      name: 'X-Forwarded-Host naming an all-public host, on /api/flows without credentials',
      method: 'GET', path: '/api/flows', token: false, forged: { 'X-Forwarded-Host': OPEN_HOST, 'X-Forwarded-Proto': 'http', 'X-Forwarded-Port': '80' },
      want: { status: 401, decision: 'unauthenticated', rule: 'api-read', method: 'GET', host: HOST, path: '/api/flows' },
    },
    {
      name: 'X-Forwarded-Method GET on a viewer\'s POST (only engineers may write)',
      method: 'POST', path: '/api/flows', token: true, forged: { 'X-Forwarded-Method': 'GET' },
      want: { status: 403, decision: 'deny', rule: 'api-write', method: 'POST', host: HOST, path: '/api/flows' },
    },
    {
      name: 'nginx\'s X-Original-URL and X-Original-Method on a viewer\'s request for an admin path',
      method: 'GET', path: '/api/admin/users', token: true, forged: { 'X-Original-URL': '/api/flows', 'X-Original-Method': 'GET' },
      want: { status: 403, decision: 'deny', rule: 'admin-api', method: 'GET', host: HOST, path: '/api/admin/users' },
    },
  ] as const;
  for (const c of forgedTargets) {
    it(`never changes keygate's decision: ${c.name}`, async (t) => {
      const e = await ready(t);
      if (e === undefined) return;
      const from = decisionCount(e.kg);
      const appBefore = e.app.seen.length;
      const res = await traefikRequest(e.traefik, c.path, {
        host: HOST, method: c.method,
        headers: { accept: 'application/json', ...(c.token ? { authorization: `Bearer ${e.alice}` } : {}), ...c.forged },
      });
      assert.equal(res.status, c.want.status, res.body);
      assert.equal(e.app.seen.length, appBefore, 'the request never reached the app');
      const lines = decisions(e.kg, from);
      assert.equal(lines.length, 1, `one decision per request: ${JSON.stringify(lines)}`);
      const { decision, rule, method, host, path } = lines[0] ?? {};
      assert.deepEqual({ status: res.status, decision, rule, method, host, path }, c.want, 'keygate decided on the request Traefik routed');
    });
  }
});
