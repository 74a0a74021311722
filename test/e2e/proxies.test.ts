import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { KeycloakLookalike } from '../../src/dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { startKeygate, type TestKeygate } from '../support/keygate.js';
import { requireBinary } from '../support/proc.js';
import { startCaddy, startNginx, type Proxy } from '../support/proxies.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

// The proxies reach the app on 127.0.0.1:<port>, so these rules name no host.
const POLICY = `version: 1
default: deny
rules:
  - name: health
    paths: [/api/health]
    allow: public
  - name: flows-write
    paths: ["/api/flows/**"]
    methods: [POST]
    allow: { anyRole: [engineer] }
  - name: api-read
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
`;

let idp: KeycloakLookalike;
let kg: TestKeygate;
let app: Upstream;
let alice = '';
before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, POLICY);
  app = await startUpstream();
  alice = await idp.mintAccessToken({}, { user: 'alice' });
});
after(async () => {
  await app.close();
  await kg.close();
  await idp.close();
});

type Starter = (bin: string, keygatePort: number, appPort: number) => Promise<Proxy>;
const proxies: Array<{ name: string; bin: string; pkg: string; start: Starter }> = [
  { name: 'Caddy forward_auth', bin: 'caddy', pkg: 'caddy', start: startCaddy },
  { name: 'nginx auth_request', bin: 'nginx', pkg: 'nginx-light', start: startNginx },
];

for (const p of proxies) {
  describe(`through real ${p.name}`, () => {
    let proxy: Proxy | undefined;
    const up = async (t: TestContext): Promise<Proxy | undefined> => {
      const bin = requireBinary(t, p.bin, p.pkg);
      if (bin === undefined) return undefined;
      proxy ??= await p.start(bin, Number(new URL(kg.url).port), app.port);
      return proxy;
    };
    after(async () => proxy?.stop());

    it('an allowed request reaches the upstream with the identity headers', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      const res = await fetch(`${px.url}/api/flows?limit=5`, { headers: { authorization: `Bearer ${alice}` } });
      assert.equal(res.status, 200);
      const seen = await res.json() as { url: string; headers: Record<string, string> };
      assert.equal(seen.url, '/api/flows?limit=5', 'no rewrite of the path or query');
      assert.equal(seen.headers['x-auth-user'], 'alice');
      assert.equal(seen.headers['x-auth-subject'], idp.subjectOf('alice'));
      assert.match(seen.headers['x-auth-roles'] ?? '', /viewer/);
      assert.equal(seen.headers['x-auth-groups'], '/data/team-a');
    });

    it('a client-forged X-Auth-User never reaches the upstream', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      const withToken = await fetch(`${px.url}/api/flows`, { headers: { authorization: `Bearer ${alice}`, 'x-auth-user': 'carol', 'x-auth-roles': 'admin' } });
      const a = await withToken.json() as { headers: Record<string, string> };
      assert.equal(a.headers['x-auth-user'], 'alice');
      assert.doesNotMatch(a.headers['x-auth-roles'] ?? '', /admin/);
      const anonymous = await fetch(`${px.url}/api/health`, { headers: { 'x-auth-user': 'carol', 'x-auth-roles': 'admin' } });
      assert.equal(anonymous.status, 200);
      const b = await anonymous.json() as { headers: Record<string, string> };
      assert.ok(b.headers['x-auth-user'] === undefined || b.headers['x-auth-user'] === '', `forged user reached the app: ${b.headers['x-auth-user']}`);
      assert.ok(b.headers['x-auth-roles'] === undefined || b.headers['x-auth-roles'] === '', 'forged roles reached the app');
    });

    it('denied and unauthenticated requests never reach the upstream', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      const before = app.seen.length;
      const denied = await fetch(`${px.url}/api/flows/abc`, { method: 'POST', headers: { authorization: `Bearer ${alice}` } });
      assert.equal(denied.status, 403);
      const anonymous = await fetch(`${px.url}/api/flows`, { headers: { accept: 'application/json' } });
      assert.equal(anonymous.status, 401);
      const bad = await fetch(`${px.url}/api/flows`, { headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(bad.status, 401);
      const defaultDeny = await fetch(`${px.url}/elsewhere`, { headers: { authorization: `Bearer ${alice}` } });
      assert.equal(defaultDeny.status, 403);
      assert.equal(app.seen.length, before, 'the upstream saw a request it should not have');
    });

    it('keeps its connections to keygate open under concurrency (issue #5)', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      // 48 concurrent requests is above Caddy's default idle pool (32 per host) and below the shipped files' pools;
      // without keep-alive (nginx's default) every subrequest opens a connection: 144 for the three waves.
      let opened = 0;
      const count = (): void => { opened++; };
      kg.service.server.on('connection', count);
      try {
        for (let wave = 0; wave < 3; wave++) {
          const answers: Response[] = await Promise.all(Array.from({ length: 48 }, (): Promise<Response> => fetch(`${px.url}/api/flows`, { headers: { authorization: `Bearer ${alice}` } })));
          for (const a of answers) {
            assert.equal(a.status, 200);
            await a.arrayBuffer();
          }
        }
      } finally {
        kg.service.server.off('connection', count);
      }
      assert.ok(opened <= 56, `${opened} connections to keygate for 144 subrequests in 3 waves of 48`);
    });

    it('an ambiguous path is refused before it reaches the upstream', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      const before = app.seen.length;
      const res = await fetch(`${px.url}/api/health/..%2F..%2Fadmin`, { headers: { authorization: `Bearer ${alice}` } });
      assert.ok(res.status === 400 || res.status === 500, `got ${res.status}`);
      assert.equal(app.seen.length, before);
    });
  });
}
