/**
 * Issue 14.1, no double auth: Prefect's own PREFECT_SERVER_API_AUTH_STRING stays on as a second lock, and Traefik's
 * prefect-auth middleware (examples/prefect/traefik/dynamic.yml, after keygate) supplies it upstream from
 * PREFECT_API_AUTH_BASIC. Callers sign in once (Keycloak); a request that bypasses the proxy is refused by Prefect.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { createDeployment, hostRequest, proxied, runPrefect, venvPython, type RunResult } from '../../support/prefect.js';
import { bearerHeaders, prefectStack, type PrefectStack } from '../../support/prefect-stack.js';

const AUTH_STRING = 'prefect-admin:second-lock-Qx93';
const show = (r: RunResult): string => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr.slice(-2000)}`;

let setup: Promise<PrefectStack | undefined> | undefined;
let stack: PrefectStack | undefined;
const ready = (t: TestContext): Promise<PrefectStack | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<PrefectStack | undefined> {
  stack = await prefectStack(t, {
    prefectEnv: { PREFECT_SERVER_API_AUTH_STRING: AUTH_STRING },
    traefikEnv: { PREFECT_API_AUTH_BASIC: Buffer.from(AUTH_STRING).toString('base64') },
  });
  // Setup straight at the server needs the auth string, like any request that does not come through the proxy.
  if (stack !== undefined) await createDeployment(stack.prefectBin, `${stack.prefect.url}/api`, 'etl', 'nightly', { PREFECT_API_AUTH_STRING: AUTH_STRING });
  return stack;
}

describe('no double auth: Prefect\'s auth string stays on, Traefik supplies it after keygate allowed', () => {
  after(async () => stack?.stop());

  it('through the proxy the real CLI needs only the Keycloak token: runs for the engineer, 403 for the viewer, 401 anonymous', async (t) => {
    const s = await ready(t);
    if (s === undefined) return;
    const run = await runPrefect(s.prefectBin, ['deployment', 'run', 'etl/nightly'], { PREFECT_API_URL: s.api, ...bearerHeaders(s.tokens.bob) });
    assert.equal(run.code, 0, show(run));
    const ls = await runPrefect(s.prefectBin, ['flow-run', 'ls'], { PREFECT_API_URL: s.api, ...bearerHeaders(s.tokens.bob) });
    assert.equal(ls.code, 0, show(ls));
    assert.match(ls.stdout, /etl/);
    const viewer = await runPrefect(s.prefectBin, ['deployment', 'run', 'etl/nightly'], { PREFECT_API_URL: s.api, ...bearerHeaders(s.tokens.alice) });
    assert.notEqual(viewer.code, 0);
    assert.match(`${viewer.stdout}${viewer.stderr}`, /403/, show(viewer));
    const anonymous = await proxied(s.traefik, '/api/flows/filter', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="keygate"', 'keygate answered, not Prefect');
  });

  it('the UI\'s own sign-in never shows: /ui-settings says BASIC, and its check (/api/admin/version) passes through the proxy', async (t) => {
    const s = await ready(t);
    if (s === undefined) return;
    const settings = JSON.parse((await proxied(s.traefik, '/ui-settings')).body) as { auth?: unknown; api_url?: unknown };
    assert.equal(settings.auth, 'BASIC', 'Prefect announces its own lock to the UI');
    assert.equal(settings.api_url, s.api, 'the UI calls the API through the proxy');
    const check = await proxied(s.traefik, '/api/admin/version', { headers: { authorization: `Bearer ${s.tokens.alice}` } });
    assert.equal(check.status, 200, `the UI's authCheck would send the viewer to Prefect's login page: ${check.body}`);
  });

  it('a request that bypasses the proxy is refused by Prefect itself, with or without a valid Keycloak token', async (t) => {
    const s = await ready(t);
    if (s === undefined) return;
    const port = Number(new URL(s.prefect.url).port);
    for (const headers of [{}, { authorization: `Bearer ${s.tokens.carol}` }, { authorization: `Basic ${Buffer.from('prefect-admin:guess').toString('base64')}` }]) {
      const r = await hostRequest(port, `127.0.0.1:${port}`, '/api/flows/filter', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
      assert.equal(r.status, 401, `${JSON.stringify(Object.keys(headers))}: ${r.body}`);
      assert.match(r.body, /Unauthorized/);
    }
    const direct = await runPrefect(s.prefectBin, ['flow-run', 'ls'], { PREFECT_API_URL: `${s.prefect.url}/api`, ...bearerHeaders(s.tokens.carol) });
    assert.notEqual(direct.code, 0, show(direct));
    assert.match(`${direct.stdout}${direct.stderr}`, /401/, show(direct));
  });

  it('websockets under the second lock (a documented limit): keygate allows the upgrade, Prefect\'s in-band check then wants its auth string', async (t) => {
    const s = await ready(t);
    if (s === undefined) return;
    const subscribe = `
import asyncio
from prefect.events.clients import get_events_subscriber
async def main():
    async with get_events_subscriber() as sub:
        print("events/out connected")
asyncio.run(asyncio.wait_for(main(), 60))
`;
    const py = venvPython(s.prefectBin);
    // A Keycloak token alone: keygate allows the upgrade, Prefect's in-band check has no auth string and closes.
    const tokenOnly = await runPrefect(py, ['-c', subscribe], { PREFECT_API_URL: s.api, ...bearerHeaders(s.tokens.alice) });
    assert.notEqual(tokenOnly.code, 0, show(tokenOnly));
    const upgrade = s.kg.logs().filter((l) => l['msg'] === 'decision' && l['path'] === '/api/events/out').at(-1);
    assert.deepEqual([upgrade?.['decision'], upgrade?.['user']], ['allow', 'alice'], 'keygate allowed the upgrade');
    t.diagnostic(`token only: ${tokenOnly.stderr.trim().split('\n').at(-1) ?? ''}`);
    assert.match(tokenOnly.stderr, /Unable to authenticate to the event stream.*Auth required but no token provided/, show(tokenOnly));
    // With Prefect's auth string in the client as well, Prefect 3.9.1's version probe sends it as Basic instead of the
    // custom header's token (_internal/version_checking.py), and keygate (no basicClients) answers 401.
    const both = await runPrefect(py, ['-c', subscribe], { PREFECT_API_URL: s.api, PREFECT_API_AUTH_STRING: AUTH_STRING, ...bearerHeaders(s.tokens.alice) });
    assert.notEqual(both.code, 0, show(both));
    assert.match(both.stderr, /401 Unauthorized.*\/api\/admin\/version/, show(both));
  });
});
