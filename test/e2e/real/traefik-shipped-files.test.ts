/**
 * Real Traefik 3.7 loaded with the shipped traefik/traefik.yml and traefik/dynamic/keygate.yml, keygate behind its
 * forwardAuth middleware, real Keycloak tokens (realm kg-accounts), and an echo app as the Prefect service.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type { TestKeygate } from '../../support/keygate.js';
import type { RealKeycloak } from '../../support/keycloak.js';
import { requireReal } from '../../support/real-systems.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../support/proxies.js';
import { startTraefik, traefikRequest, warningLines, type Traefik } from '../../support/traefik.js';
import { traefikStack } from '../../support/traefik-stack.js';
import { eventually } from '../../support/wait.js';
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
const stack = traefikStack({ realm: REALM, policy: POLICY, app: startUpstream });
let setup: Promise<Env | undefined> | undefined;
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const s = await stack.ready(t);
  return s === undefined ? undefined : { ...s, alice: await s.token('alice'), bob: await s.token('bob') };
}

describe('real Traefik 3.7 with the shipped files', () => {
  after(() => stack.stop());

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

  it('both shipped routers list the keygate middleware, and keygate decides each request the router takes', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const shipped = parse(readFileSync(join(ROOT, 'traefik/dynamic/keygate.yml'), 'utf8')) as { http: { routers: Record<string, { middlewares?: string[] }> } };
    assert.deepEqual(Object.keys(shipped.http.routers).sort(), ['prefect-api', 'prefect-ui']);
    for (const [name, r] of Object.entries(shipped.http.routers)) assert.deepEqual(r.middlewares, ['keygate'], `router ${name}`);
    const cases = [
      { path: '/api/flows?limit=5', router: 'prefect-api@file', rule: 'api-read' },
      { path: '/api/health', router: 'prefect-api@file', rule: 'health' },
      { path: '/dashboard?x=1', router: 'prefect-ui@file', rule: 'ui' },
      { path: '/', router: 'prefect-ui@file', rule: 'ui' },
    ];
    for (const c of cases) {
      for (const auth of [{ authorization: `Bearer ${e.alice}` }, {}]) {
        const accessBefore = e.traefik.accessLog().length;
        const decisionsBefore = e.kg.logs().filter((l) => l['msg'] === 'decision').length;
        const res = await traefikRequest(e.traefik, c.path, { host: HOST, headers: { accept: 'application/json', ...auth } });
        const pathOnly = c.path.split('?')[0];
        // Traefik writes the access log line after the answer: wait for it (bounded).
        assert.ok(await eventually(async () => e.traefik.accessLog().length > accessBefore, 5000), `${c.path}: no access log line`);
        const access = e.traefik.accessLog().at(-1);
        assert.deepEqual([access?.['RouterName'], access?.['RequestPath'], access?.['DownstreamStatus']], [c.router, c.path, res.status], `${c.path}: the router Traefik took`);
        const decisions = e.kg.logs().filter((l) => l['msg'] === 'decision').slice(decisionsBefore);
        assert.equal(decisions.length, 1, `${c.path}: keygate decided the request once (the router carries the middleware)`);
        assert.deepEqual([decisions[0]?.['rule'], decisions[0]?.['path'], decisions[0]?.['status']], [c.rule, pathOnly, c.rule === 'health' || 'authorization' in auth ? 200 : 401]);
      }
    }
  });

  it('an encoded slash is refused by Traefik at the edge (websecure encodedCharacters), before keygate and the app', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const appBefore = e.app.seen.length;
    const decisionsBefore = e.kg.logs().filter((l) => l['msg'] === 'decision').length;
    for (const path of ['/api/flows/a%2Fb', '/api/flows/a%5Cb', '/api/flows/a%00b']) {
      const res = await traefikRequest(e.traefik, path, { host: HOST, headers: { authorization: `Bearer ${e.alice}` } });
      assert.equal(res.status, 400, `${path}: ${res.body}`);
    }
    assert.equal(e.app.seen.length, appBefore);
    assert.equal(e.kg.logs().filter((l) => l['msg'] === 'decision').length, decisionsBefore, 'keygate was not asked');
  });

  // Last in this file: after both routers and the forwardAuth middleware have served requests.
  it('Traefik logs no WRN or ERR line with the shipped files (Traefik 3.7 warns about forwardAuth, alias headers, encoded characters …)', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    assert.ok(e.traefik.logLines().some((l) => / INF Traefik version 3\.7\./.test(l)), 'the log is Traefik 3.7\'s');
    assert.deepEqual(warningLines(e.traefik), []);
  });
});

describe('real Traefik 3.7: the warning check sees a broken file', () => {
  it('without trustForwardHeader (and maxResponseBodySize), Traefik 3.7 warns, and the check reports it', async (t) => {
    const bin = requireReal(t, 'traefik');
    if (bin === undefined) return;
    const app = await startUpstream();
    const traefik = await startTraefik(bin, {
      keygate: app.url, app: app.url,
      breakDynamic: (doc) => {
        doc.deleteIn(['http', 'middlewares', 'keygate', 'forwardAuth', 'trustForwardHeader']);
        doc.deleteIn(['http', 'middlewares', 'keygate', 'forwardAuth', 'maxResponseBodySize']);
      },
    });
    try {
      await traefikRequest(traefik, '/api/flows', { host: HOST });
      const warned = await eventually(async () => warningLines(traefik).some((l) => /trustForwardHeader/.test(l)), 5000);
      assert.ok(warned, `no trustForwardHeader warning:\n${traefik.logLines().join('\n')}`);
      assert.ok(warningLines(traefik).some((l) => /maxResponseBodySize/.test(l)), warningLines(traefik).join('\n'));
    } finally {
      await traefik.stop();
      await app.close();
    }
  });
});
