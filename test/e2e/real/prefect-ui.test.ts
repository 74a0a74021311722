/**
 * Issue 14.1, the UI: real Chromium signs in at real Keycloak through real Traefik (examples/prefect/traefik) and
 * keygate (examples/prefect/policy.yaml) and loads real Prefect 3.9's UI; PREFECT_UI_API_URL points the UI at the
 * proxied origin, and Prefect's CSRF protection is on as in examples/prefect/compose.yml.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSession, launchChromium, mapHostToLoopback, signInAtKeycloak, type BrowserSession } from '../../support/browser.js';
import { createDeployment, PREFECT_HOST } from '../../support/prefect.js';
import { prefectStack, USERS, type PrefectStack } from '../../support/prefect-stack.js';

interface Env { s: PrefectStack; browser: Browser; deploymentId: string }
let setup: Promise<Env | undefined> | undefined;
let env: Env | undefined;
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const s = await prefectStack(t, { prefectEnv: { PREFECT_SERVER_CSRF_PROTECTION_ENABLED: 'true' } });
  if (s === undefined) return undefined;
  const browser = await launchChromium(t, [mapHostToLoopback(PREFECT_HOST)]);
  if (browser === undefined) {
    await s.stop();
    return undefined;
  }
  const { deploymentId } = await createDeployment(s.prefectBin, `${s.prefect.url}/api`, 'etl', 'nightly', { PREFECT_SERVER_CSRF_PROTECTION_ENABLED: 'true' });
  env = { s, browser, deploymentId };
  return env;
}

/** What the page saw: every /api answer (method, path, status) and the console's errors. */
interface Seen { api: Array<{ method: string; path: string; status: number }>; failedRequests: string[]; consoleErrors: Array<{ text: string; url: string }> }

function watch(page: Page): Seen {
  const seen: Seen = { api: [], failedRequests: [], consoleErrors: [] };
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.hostname === PREFECT_HOST && u.pathname.startsWith('/api/')) seen.api.push({ method: r.request().method(), path: u.pathname, status: r.status() });
  });
  page.on('requestfailed', (r) => seen.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? ''}`));
  page.on('console', (m) => { if (m.type() === 'error') seen.consoleErrors.push({ text: m.text(), url: m.location().url }); });
  return seen;
}

/** Signs `user` in through the UI's own redirect and returns the open session. */
async function signIn(e: Env, user: keyof typeof USERS): Promise<{ session: BrowserSession; seen: Seen }> {
  const session = await browserSession(e.browser, e.s.kc.url);
  const seen = watch(session.page);
  const dashboard = `${e.s.traefik.origin}/dashboard`;
  await session.page.goto(dashboard);
  assert.match(await session.page.title(), /Sign in to/, 'keygate sends an anonymous browser to Keycloak');
  await signInAtKeycloak(session.page, user, USERS[user], dashboard);
  return { session, seen };
}

/**
 * Starts a run the way a user does: the deployment's page, its "Run" button, then "Quick run". Resolves with the
 * UI's own POST /api/deployments/{id}/create_flow_run answer (sent with the session cookie and the CSRF token).
 */
async function quickRun(e: Env, session: BrowserSession): Promise<{ status: number; body: string }> {
  const page = session.page;
  await page.goto(`${e.s.traefik.origin}/deployments/deployment/${e.deploymentId}`);
  await page.waitForLoadState('networkidle');
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/deployments/${e.deploymentId}/create_flow_run`, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByText('Quick run', { exact: true }).click();
  const answer = await created;
  return { status: answer.status(), body: await answer.text() };
}

describe('real Prefect 3.9 UI in real Chromium through real Traefik (examples/prefect) and keygate', () => {
  after(async () => {
    await env?.browser.close();
    await env?.s.stop();
  });

  it('a viewer signs in; the dashboard and flow-runs pages load with no failed /api request and no console error', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const { session, seen } = await signIn(e, 'alice');
    try {
      await session.page.waitForLoadState('networkidle');
      await session.page.waitForSelector('text=Dashboard', { timeout: 30_000 });
      const onDashboard = seen.api.length;
      const runsQuery = session.page.waitForResponse((r) => /\/api\/flow_runs\/(filter|paginate|count)$/.test(new URL(r.url()).pathname), { timeout: 30_000 });
      await session.page.goto(`${e.s.traefik.origin}/runs`);
      await runsQuery;
      await session.page.waitForLoadState('networkidle');
      assert.equal(new URL(session.page.url()).pathname, '/runs');
      t.diagnostic(`/api answers: ${seen.api.length} (${onDashboard} on the dashboard): ${[...new Set(seen.api.map((a) => `${a.method} ${a.path} ${a.status}`))].join(', ')}`);
      assert.ok(onDashboard >= 3, `the dashboard made only ${onDashboard} /api calls: ${JSON.stringify(seen.api)}`);
      assert.ok(seen.api.length > onDashboard, 'the flow-runs page called the API');
      assert.deepEqual(seen.api.filter((a) => a.status >= 400), [], 'no /api request failed while the UI loaded');
      assert.deepEqual(seen.failedRequests, []);
      // Prefect 3.9.1's v1 UI links /favicon.ico but does not ship it: Prefect's own 404, the same without the proxy.
      // Any other console error fails the test.
      const own = await fetch(`${e.s.prefect.url}/favicon.ico`);
      const known = (c: { text: string; url: string }): boolean => own.status === 404 && new URL(c.url || 'about:blank').pathname === '/favicon.ico' && /404/.test(c.text);
      t.diagnostic(`console errors: ${JSON.stringify(seen.consoleErrors)}`);
      assert.deepEqual(seen.consoleErrors.filter((c) => !known(c)), []);
      const viewer = e.s.kg.logs().filter((l) => l['msg'] === 'decision' && l['user'] === 'alice' && String(l['path']).startsWith('/api/'));
      const needIdentity = seen.api.filter((a) => a.path !== '/api/health');
      assert.ok(viewer.length >= needIdentity.length, `every /api call of the UI but /api/health (public) was decided for alice: ${viewer.length} lines, ${needIdentity.length} calls`);
      assert.deepEqual(viewer.filter((l) => l['decision'] !== 'allow'), []);
    } finally {
      await session.close();
    }
  });

  it('a viewer cannot start a deployment run with the UI\'s Run → Quick run (403 on its API call); an engineer can (201)', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const alice = await signIn(e, 'alice');
    try {
      const denied = await quickRun(e, alice.session);
      assert.equal(denied.status, 403, denied.body);
      assert.match(denied.body, /prefect-run-deployment/);
      await alice.session.page.getByText('Failed to schedule flow run').first().waitFor({ timeout: 15_000 });
    } finally {
      await alice.session.close();
    }
    const bob = await signIn(e, 'bob');
    try {
      const created = await quickRun(e, bob.session);
      assert.equal(created.status, 201, created.body);
      const run = JSON.parse(created.body) as { id: string; deployment_id: string };
      assert.equal(run.deployment_id, e.deploymentId);
      const direct = await fetch(`${e.s.prefect.url}/api/flow_runs/${run.id}`);
      assert.equal(direct.status, 200, 'Prefect recorded the run');
    } finally {
      await bob.session.close();
    }
  });
});
