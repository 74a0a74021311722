/**
 * Issue 14.1, a long-running worker's credential: Prefect's client sends PREFECT_API_AUTH_STRING as
 * `Authorization: Basic base64(client_id:client_secret)`; keygate (KEYGATE_BASIC_CLIENTS=prefect-worker) exchanges it
 * at real Keycloak with the client-credentials grant, caches the token until it expires, and decides on it. Real
 * Prefect 3.9 CLI and client, real Traefik with examples/prefect/traefik, realm from examples/prefect/realm.json.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { sample } from '../../support/keygate.js';
import { createDeployment, proxied, runPrefect, venvPython, type RunResult } from '../../support/prefect.js';
import { prefectStack, REALM, type PrefectStack } from '../../support/prefect-stack.js';

const WORKER = { id: 'prefect-worker', secret: 'prefect-worker-secret-change-me' } as const;
const basic = (id: string, secret: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
const show = (r: RunResult): string => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr.slice(-2000)}`;

let setup: Promise<PrefectStack | undefined> | undefined;
let stack: PrefectStack | undefined;
const ready = (t: TestContext): Promise<PrefectStack | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<PrefectStack | undefined> {
  // ci-bot is listed too (the wrong-secret case uses it); ai-agent is not.
  stack = await prefectStack(t, { keygateEnv: { KEYGATE_BASIC_CLIENTS: `${WORKER.id},ci-bot` } });
  if (stack !== undefined) await createDeployment(stack.prefectBin, `${stack.prefect.url}/api`, 'etl', 'nightly');
  return stack;
}

/** The keygate log lines and Traefik output so far, as one text (searched for secrets). */
const allLogs = (s: PrefectStack): string => `${JSON.stringify(s.kg.logs())}\n${s.traefik.proc.output()}`;

describe('a long-running worker authenticates with its client credentials (PREFECT_API_AUTH_STRING), exchanged by keygate', () => {
  after(async () => stack?.stop());

  it('the real CLI with PREFECT_API_AUTH_STRING=client_id:client_secret runs a deployment and lists runs through the proxy', async (t) => {
    const s = await ready(t);
    if (s === undefined) return;
    const env = { PREFECT_API_URL: s.api, PREFECT_API_AUTH_STRING: `${WORKER.id}:${WORKER.secret}` };
    const run = await runPrefect(s.prefectBin, ['deployment', 'run', 'etl/nightly'], env);
    assert.equal(run.code, 0, show(run));
    const ls = await runPrefect(s.prefectBin, ['flow-run', 'ls'], env);
    assert.equal(ls.code, 0, show(ls));
    assert.match(ls.stdout, /etl/);
    const lines = s.kg.logs().filter((l) => l['msg'] === 'decision' && l['path'] === '/api/flow_runs/filter');
    assert.deepEqual(lines.map((l) => [l['decision'], l['user'], l['azp'], l['via']]).at(-1), ['allow', 'service-account-prefect-worker', WORKER.id, 'bearer']);
    // One exchange served the whole CLI run (the cached token): Keycloak issued one token per process at most.
    assert.equal(sample(await s.kg.metrics(), 'keygate_basic_exchange_failures_total'), 0);
  });

  it('websockets: the events emitter sends the auth string as Basic on the upgrade; subscribers need it in custom headers', async (t) => {
    const s = await ready(t);
    if (s === undefined) return;
    const py = venvPython(s.prefectBin);
    const authString = `${WORKER.id}:${WORKER.secret}`;
    // What workers and flow runs use: the emitter to /api/events/in (Prefect 3.9 adds Basic to its upgrade request).
    const emit = `
import asyncio
from prefect.events import Event
from prefect.events.clients import get_events_client
async def main():
    async with get_events_client() as c:
        await c.emit(Event(event="keygate.e2e", resource={"prefect.resource.id": "keygate.e2e"}))
        print("events/in connected")
asyncio.run(asyncio.wait_for(main(), 60))
`;
    const emitted = await runPrefect(py, ['-c', emit], { PREFECT_API_URL: s.api, PREFECT_API_AUTH_STRING: authString });
    assert.equal(emitted.code, 0, show(emitted));
    assert.match(emitted.stdout, /events\/in connected/);
    const upgradeIn = s.kg.logs().filter((l) => l['msg'] === 'decision' && l['path'] === '/api/events/in').at(-1);
    assert.deepEqual([upgradeIn?.['decision'], upgradeIn?.['user'], upgradeIn?.['rule']], ['allow', 'service-account-prefect-worker', 'prefect-worker-sockets']);

    // Subscribers (/api/events/out, /api/logs/out) send the auth string only inside the socket, after the upgrade:
    // keygate sees no credential and answers 401. PREFECT_CLIENT_CUSTOM_HEADERS puts it on the upgrade as well.
    const subscribe = `
import asyncio
from prefect.events.clients import get_events_subscriber
async def main():
    async with get_events_subscriber() as sub:
        print("events/out connected")
asyncio.run(asyncio.wait_for(main(), 60))
`;
    const bare = await runPrefect(py, ['-c', subscribe], { PREFECT_API_URL: s.api, PREFECT_API_AUTH_STRING: authString });
    assert.notEqual(bare.code, 0, show(bare));
    assert.match(bare.stderr, /HTTP 401/, show(bare));
    const headers = { PREFECT_CLIENT_CUSTOM_HEADERS: JSON.stringify({ Authorization: `Basic ${Buffer.from(authString).toString('base64')}` }) };
    const withHeaders = await runPrefect(py, ['-c', subscribe], { PREFECT_API_URL: s.api, PREFECT_API_AUTH_STRING: authString, ...headers });
    assert.equal(withHeaders.code, 0, show(withHeaders));
    assert.match(withHeaders.stdout, /events\/out connected/);
  });

  it('a wrong secret and an unlisted client get 401; failures are counted, then rate-limited; no secret is ever logged', async (t) => {
    const s = await ready(t);
    if (s === undefined) return;
    const wrong = 'wrong-secret-Xy7';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await proxied(s.traefik, '/api/flows/filter', { method: 'POST', headers: { ...basic('ci-bot', `${wrong}${i}`), 'content-type': 'application/json' }, body: '{}' })).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
    const m = await s.kg.metrics();
    assert.equal(sample(m, 'keygate_basic_exchange_failures_total', { reason: 'rejected' }), 5);
    assert.equal(sample(m, 'keygate_basic_exchange_failures_total', { reason: 'rate_limited' }), 1);
    // ai-agent is a real client with a valid secret, but not in KEYGATE_BASIC_CLIENTS.
    const unlisted = await proxied(s.traefik, '/api/flows/filter', { method: 'POST', headers: { ...basic('ai-agent', 'ai-agent-secret-change-me'), 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unlisted.status, 401);
    assert.equal(sample(await s.kg.metrics(), 'keygate_basic_exchange_failures_total', { reason: 'not_listed' }), 1);
    const logs = allLogs(s);
    for (const secret of [WORKER.secret, wrong, 'ai-agent-secret-change-me', Buffer.from(`${WORKER.id}:${WORKER.secret}`).toString('base64')]) {
      assert.ok(!logs.includes(secret), `a secret (${secret.slice(0, 4)}…) appears in the logs`);
    }
  });

  it('a client disabled in Keycloak loses access within one token lifetime', async (t) => {
    const s = await ready(t);
    if (s === undefined) return;
    const id = await s.kc.clientUuid(REALM, WORKER.id);
    const before = await s.kc.admin('GET', `/${REALM}/clients/${id}`) as { attributes?: Record<string, string> };
    const lifespan = 20;
    try {
      await s.kc.admin('PUT', `/${REALM}/clients/${id}`, { ...before, attributes: { ...before.attributes, 'access.token.lifespan': String(lifespan) } });
      // The token cached in the first test lives 900 s (the realm's setting for prefect-worker), too long to wait for
      // here. The cache is keyed by the credentials, so a rotated secret starts a fresh entry with the short lifespan.
      const secret = `rotated-${Date.now()}`;
      await s.kc.admin('PUT', `/${REALM}/clients/${id}`, { ...before, secret, attributes: { ...before.attributes, 'access.token.lifespan': String(lifespan) } });
      const rotated = async (): Promise<number> => (await proxied(s.traefik, '/api/flows/filter', { method: 'POST', headers: { ...basic(WORKER.id, secret), 'content-type': 'application/json' }, body: '{}' })).status;
      assert.equal(await rotated(), 200, 'the new secret works');
      const disabledAt = Date.now();
      await s.kc.admin('PUT', `/${REALM}/clients/${id}`, { ...before, secret, enabled: false, attributes: { ...before.attributes, 'access.token.lifespan': String(lifespan) } });
      let status = 200;
      while (status === 200 && Date.now() - disabledAt < (lifespan + 15) * 1000) {
        await new Promise((r) => setTimeout(r, 1000));
        status = await rotated();
      }
      const took = (Date.now() - disabledAt) / 1000;
      t.diagnostic(`refused ${took.toFixed(1)} s after the client was disabled (token lifespan ${lifespan} s)`);
      assert.equal(status, 401, `still allowed ${took} s after the client was disabled`);
      assert.ok(took <= lifespan + 2, `took ${took} s, more than one token lifetime (${lifespan} s)`);
      assert.ok(!allLogs(s).includes(secret), 'the rotated secret is not logged');
    } finally {
      await s.kc.admin('PUT', `/${REALM}/clients/${id}`, before);
    }
  });
});
