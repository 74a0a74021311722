/**
 * Renewed session cookies through real Traefik 3.7 (the shipped files): keygate refreshes a session on a `200` and
 * sets the new cookie there; Traefik's `addAuthCookiesToResponse` must carry it to the client, and must carry only the
 * names it lists. Real Keycloak (realm kg-browser, access tokens live 10 s, so the refresh happens inside the test);
 * the sign-in is Keycloak's real login form, driven over HTTP (the Chromium sign-ins are traefik-browser-*.test.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type { SessionContext } from '../../../src/main.js';
import { createSessionModule } from '../../../src/session/module.js';
import { sample, startKeygate, type TestKeygate } from '../../support/keygate.js';
import { realKeycloak } from '../../support/keycloak.js';
import { requireReal } from '../../support/real-systems.js';
import { setCookies, signInThroughTraefik, startTraefik, traefikRequest, type Traefik, type TraefikAnswer } from '../../support/traefik.js';
import { startUpstream, type Upstream } from '../../support/upstream.js';

const REALM = 'kg-browser';
const HOST = 'prefect.example.com';
const POLICY = `version: 1
default: deny
rules:
  - name: ui
    hosts: [${HOST}]
    paths: ["/**"]
    allow: authenticated
`;
/** Access tokens live 10 s in kg-browser; the bound leaves room for a loaded 2-core machine. */
const REFRESH_BOUND_MS = 45_000;
/** A cookie name the shipped middleware does not list. */
const UNLISTED = 'kgsession';

/** keygate behind its own Traefik, with the Host header (and so the sign-in origin) the client uses. */
interface Gate { kg: TestKeygate; traefik: Traefik; host: string }
interface Env { app: Upstream; listed: Gate; unlisted: Gate }
let setup: Promise<Env | undefined> | undefined;
let env: Env | undefined;
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const bin = requireReal(t, 'traefik');
  const kc = await realKeycloak(t, REALM);
  if (bin === undefined || kc === undefined) return undefined;
  const app = await startUpstream();
  const gate = async (cookieName?: string): Promise<Gate> => {
    const sessions = (ctx: SessionContext): ReturnType<typeof createSessionModule> => createSessionModule(
      cookieName === undefined ? ctx : { ...ctx, config: { ...ctx.config, cookie: { ...ctx.config.cookie, name: cookieName } } },
    );
    const kg = await startKeygate(kc.issuer(REALM), POLICY, { env: { KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32', KEYGATE_COOKIE_SECURE: 'true' }, service: { sessions } });
    const traefik = await startTraefik(bin, { keygate: kg.url, app: app.url });
    return { kg, traefik, host: `${HOST}:${traefik.ports.websecure}` };
  };
  env = { app, listed: await gate(), unlisted: await gate(UNLISTED) };
  return env;
}

const cookieHeader = (jar: ReadonlyMap<string, string>): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
const refreshes = async (g: Gate): Promise<number> => sample(await g.kg.metrics(), 'keygate_session_refreshes_total', { result: 'success' });

/** Requests `/dashboard` with `jar` once a second until keygate has refreshed the session; the answer it refreshed on. */
async function untilRefreshed(g: Gate, jar: ReadonlyMap<string, string>): Promise<TraefikAnswer> {
  const before = await refreshes(g);
  const deadline = Date.now() + REFRESH_BOUND_MS;
  while (Date.now() < deadline) {
    const res = await traefikRequest(g.traefik, '/dashboard', { host: g.host, headers: { cookie: cookieHeader(jar), accept: 'application/json' } });
    assert.equal(res.status, 200, `the session must stay valid until and across its refresh: ${res.status} ${res.body.slice(0, 200)}`);
    if (await refreshes(g) > before) return res;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`keygate did not refresh the session within ${REFRESH_BOUND_MS / 1000} s (kg-browser's access tokens live 10 s)`);
}

describe('real Traefik 3.7: session cookies renewed on keygate\'s 200', () => {
  after(async () => {
    for (const g of [env?.listed, env?.unlisted]) {
      await g?.traefik.stop();
      await g?.kg.close();
    }
    await env?.app.close();
  });

  it('a refreshed session cookie reaches the client through Traefik, on the app\'s own 200', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const g = e.listed;
    const jar = await signInThroughTraefik(g.traefik, g.host, '/dashboard?from=login', 'alice', 'alice-password');
    const first = jar.get('keygate');
    assert.ok(first !== undefined && first !== '', `no session cookie after sign-in: ${[...jar.keys()].join(', ')}`);

    const fresh = await traefikRequest(g.traefik, '/dashboard', { host: g.host, headers: { cookie: cookieHeader(jar) } });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers['set-cookie'], undefined, 'a fresh session is not rewritten: the renewal below is what sets the cookie');

    const renewed = await untilRefreshed(g, jar);
    const seen = JSON.parse(renewed.body) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/dashboard', 'the answer is the app\'s own 200, with keygate\'s cookie added by Traefik');
    assert.equal(seen.headers['x-auth-user'], 'alice');
    const cookies = setCookies(renewed);
    const next = cookies.get('keygate');
    assert.ok(next !== undefined && next !== '' && next !== first, `the renewed session cookie must reach the client, got Set-Cookie: ${JSON.stringify(renewed.headers['set-cookie'])}`);
    const line = [renewed.headers['set-cookie'] ?? []].flat().find((l) => l.startsWith('keygate='));
    // Traefik re-serialises the cookie (Go's http.Cookie), so attributes may change order but not value.
    const attributes = (line ?? '').split(';').slice(1).map((a) => a.trim().toLowerCase()).sort();
    assert.deepEqual(attributes.filter((a) => !a.startsWith('max-age=')), ['httponly', 'path=/', 'samesite=lax', 'secure'], `attributes of ${line}`);
    assert.ok(attributes.some((a) => /^max-age=[1-9]\d*$/.test(a)), `a lasting cookie: ${line}`);
    for (const name of cookies.keys()) assert.ok(['keygate', 'keygate.1', 'keygate.2', 'keygate.3'].includes(name), `${name}: only the listed cookies are added`);

    // The renewed cookie is a working session: no renewal again until its own access token expires.
    const again = await traefikRequest(g.traefik, '/dashboard', { host: g.host, headers: { cookie: `keygate=${next}` } });
    assert.equal(again.status, 200);
    assert.equal(again.headers['set-cookie'], undefined);
  });

  it('a cookie whose name the middleware does not list is dropped on a 200: the list must name keygate\'s cookie', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const g = e.unlisted;
    const jar = await signInThroughTraefik(g.traefik, g.host, '/dashboard', 'alice', 'alice-password');
    // The sign-in's redirects are not 2xx: Traefik passes their Set-Cookie whatever the name.
    assert.ok((jar.get(UNLISTED) ?? '') !== '', `the sign-in set ${UNLISTED}: ${[...jar.keys()].join(', ')}`);
    const renewed = await untilRefreshed(g, jar);
    assert.equal(renewed.headers['set-cookie'], undefined, `keygate renewed ${UNLISTED} on a 200, and Traefik must not add a cookie it does not list`);
  });
});
