/**
 * Issue 14.1, the CLI, websockets and live route coverage: real `prefect server start` (3.9.1, SQLite) behind real
 * Traefik with the shipped examples/prefect/traefik files, keygate with examples/prefect/policy.yaml, real Keycloak
 * with examples/prefect/realm.json. The real `prefect` CLI points PREFECT_API_URL at Traefik and carries a Keycloak
 * token in PREFECT_CLIENT_CUSTOM_HEADERS (REAL-SYSTEMS C.2/C.4: it reaches HTTP and websocket upgrades alike).
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { DEFAULT_RULE, evaluate, loadPolicy, normalizePath } from '../../../src/policy/index.js';
import { exampleText, EXAMPLES, identityWith, routeTable } from '../../examples/support.js';
import { createDeployment, proxied, runPrefect, upgradeStatus, venvPython, type RunResult } from '../../support/prefect.js';
import { bearerHeaders, prefectStack, type PrefectStack } from '../../support/prefect-stack.js';

interface Env { s: PrefectStack; deploymentId: string }
let setup: Promise<Env | undefined> | undefined;
let env: Env | undefined;
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const s = await prefectStack(t);
  if (s === undefined) return undefined;
  // Setup straight at the server (not through the proxy): a flow and a deployment to run.
  const { deploymentId } = await createDeployment(s.prefectBin, `${s.prefect.url}/api`, 'etl', 'nightly');
  env = { s, deploymentId };
  return env;
}

/** The real CLI through Traefik, as `who` (a Keycloak token) or anonymous. */
function cli(e: Env, token: string | undefined, ...args: string[]): Promise<RunResult> {
  return runPrefect(e.s.prefectBin, args, { PREFECT_API_URL: e.s.api, ...(token !== undefined ? bearerHeaders(token) : {}) });
}

/** A FastAPI path template as a regular expression: `{param}` is one segment; one trailing slash is optional. */
function templatePattern(template: string): RegExp {
  const segments = template.replace(/\/$/, '').split('/').map((seg) => (/^\{[^}]+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}/?$`);
}

const show = (r: RunResult): string => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr.slice(-2000)}`;

describe('real Prefect 3.9 CLI and websockets through real Traefik (examples/prefect) and keygate', () => {
  after(async () => env?.s.stop());

  it('an engineer\'s token: `prefect flow-run ls` and `prefect deployment run` work through the proxy', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const run = await cli(e, e.s.tokens.bob, 'deployment', 'run', 'etl/nightly');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /Created flow run/, show(run));
    const ls = await cli(e, e.s.tokens.bob, 'flow-run', 'ls');
    assert.equal(ls.code, 0, show(ls));
    assert.match(ls.stdout, /etl/, `the run just created is listed:\n${show(ls)}`);
    const decisions = e.s.kg.logs().filter((l) => l['msg'] === 'decision' && l['user'] === 'bob');
    const started = decisions.find((l) => l['path'] === `/api/deployments/${e.deploymentId}/create_flow_run`);
    assert.equal(started?.['decision'], 'allow', JSON.stringify(started));
    assert.equal(started?.['rule'], 'prefect-run-deployment');
  });

  it('a viewer\'s token: `prefect deployment run` is refused with 403; reading runs (`flow-run ls`) is a viewer\'s right', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const run = await cli(e, e.s.tokens.alice, 'deployment', 'run', 'etl/nightly');
    assert.notEqual(run.code, 0, show(run));
    assert.match(`${run.stdout}${run.stderr}`, /403/, show(run));
    const refused = e.s.kg.logs().filter((l) => l['msg'] === 'decision' && l['user'] === 'alice' && l['path'] === `/api/deployments/${e.deploymentId}/create_flow_run`);
    assert.deepEqual(refused.map((l) => [l['decision'], l['status'], l['rule']]), [['deny', 403, 'prefect-run-deployment']]);
    // The policy gives viewers every read, POST /api/flow_runs/filter included (prefect-query).
    const ls = await cli(e, e.s.tokens.alice, 'flow-run', 'ls');
    assert.equal(ls.code, 0, show(ls));
    // A write the viewer is refused through the CLI as well.
    const del = await cli(e, e.s.tokens.alice, 'deployment', 'delete', 'etl/nightly');
    assert.notEqual(del.code, 0, show(del));
    assert.match(`${del.stdout}${del.stderr}`, /403/, show(del));
  });

  it('anonymous: the CLI gets 401 from keygate, and so does a bare request', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const ls = await cli(e, undefined, 'flow-run', 'ls');
    assert.notEqual(ls.code, 0, show(ls));
    assert.match(`${ls.stdout}${ls.stderr}`, /401/, show(ls));
    const bare = await proxied(e.s.traefik, '/api/flow_runs/filter', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(bare.status, 401);
    assert.equal(bare.headers['www-authenticate'], 'Bearer realm="keygate"');
  });

  it('websockets /api/events/out and /api/logs/out: anonymous 401, viewer and engineer upgraded; /api/events/in needs an engineer', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const bearer = (tok: string): Record<string, string> => ({ authorization: `Bearer ${tok}` });
    const table: Array<{ path: string; who: string; headers: Record<string, string>; want: number }> = [
      { path: '/api/events/out', who: 'anonymous', headers: {}, want: 401 },
      { path: '/api/events/out', who: 'alice', headers: bearer(e.s.tokens.alice), want: 101 },
      { path: '/api/events/out', who: 'bob', headers: bearer(e.s.tokens.bob), want: 101 },
      { path: '/api/logs/out', who: 'anonymous', headers: {}, want: 401 },
      { path: '/api/logs/out', who: 'alice', headers: bearer(e.s.tokens.alice), want: 101 },
      { path: '/api/logs/out', who: 'bob', headers: bearer(e.s.tokens.bob), want: 101 },
      { path: '/api/events/in', who: 'alice', headers: bearer(e.s.tokens.alice), want: 403 },
      { path: '/api/events/in', who: 'bob', headers: bearer(e.s.tokens.bob), want: 101 },
    ];
    const got = [];
    for (const c of table) got.push({ ...c, got: await upgradeStatus(e.s.traefik, c.path, c.headers) });
    assert.deepEqual(got.map((g) => `${g.path} ${g.who} ${g.got}`), table.map((c) => `${c.path} ${c.who} ${c.want}`));
  });

  it('Prefect\'s own subscribers (events and logs) connect through the proxy with the token in custom headers; without it they are refused', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    // Prefect's subscribers open the socket, authenticate in-band and wait for auth_success in __aenter__.
    const script = `
import asyncio
from prefect.events.clients import get_events_subscriber
from prefect.logging.clients import get_logs_subscriber
async def main():
    async with get_events_subscriber() as s:
        print("events/out connected")
    async with get_logs_subscriber() as s:
        print("logs/out connected")
asyncio.run(asyncio.wait_for(main(), 60))
`;
    const py = venvPython(e.s.prefectBin);
    const viewer = await runPrefect(py, ['-c', script], { PREFECT_API_URL: e.s.api, ...bearerHeaders(e.s.tokens.alice) });
    assert.equal(viewer.code, 0, show(viewer));
    assert.deepEqual(viewer.stdout.trim().split('\n'), ['events/out connected', 'logs/out connected']);
    const anonymous = await runPrefect(py, ['-c', script], { PREFECT_API_URL: e.s.api, PREFECT_CLIENT_MAX_RETRIES: '0' });
    assert.notEqual(anonymous.code, 0, show(anonymous));
    assert.doesNotMatch(anonymous.stdout, /connected/);
    assert.match(anonymous.stderr, /401/, show(anonymous));
  });

  it('every route of the live server\'s /api/openapi.json is in routes.yaml (and back) and decided by a named rule of the policy, for every role', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const res = await fetch(`${e.s.prefect.url}/api/openapi.json`);
    assert.equal(res.status, 200);
    const spec = await res.json() as { paths: Record<string, Record<string, unknown>> };
    const ex = EXAMPLES.find((x) => x.name === 'prefect');
    assert.ok(ex !== undefined);
    const loaded = loadPolicy(exampleText(ex, 'policy.yaml'), 'policy.yaml');
    assert.ok(loaded.value !== undefined);
    const policy = loaded.value;
    const table = routeTable(ex);
    const callers = [undefined, ...table.roles.map(([, role]) => role)];
    const problems: string[] = [];
    let count = 0;
    for (const [template, ops] of Object.entries(spec.paths)) {
      for (const method of Object.keys(ops).map((m) => m.toUpperCase())) {
        if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) continue;
        count += 1;
        const full = template.startsWith('/api/') ? template : `/api${template}`;
        // FastAPI path parameters ({id}, {path:path}) become one concrete segment.
        const concrete = full.replace(/\{[^}]+\}/g, 'x1');
        const pattern = templatePattern(full);
        if (!table.routes.some((r) => r.method === method && pattern.test(r.path))) problems.push(`${method} ${full}: not in examples/prefect/routes.yaml`);
        const n = normalizePath(concrete);
        if (!n.ok) { problems.push(`${method} ${full}: ${n.detail}`); continue; }
        for (const role of callers) {
          const d = evaluate(policy, { method, host: 'prefect.example.com', path: n.path }, role === undefined ? undefined : identityWith('caller', [role]));
          if (d.rule === DEFAULT_RULE) problems.push(`${method} ${full} as ${role ?? 'anonymous'}: decided by the policy default (${d.kind})`);
        }
      }
    }
    const version = await (await fetch(`${e.s.prefect.url}/api/admin/version`)).json() as string;
    t.diagnostic(`${count} operations in the live OpenAPI document of Prefect ${version}`);
    assert.equal(version, '3.9.1', 'routes.yaml is kept in step with Prefect 3.9.1');
    assert.ok(count > 150, `only ${count} operations: ${JSON.stringify(Object.keys(spec.paths).slice(0, 5))}`);
    assert.deepEqual(problems, []);
    // The other way round: routes.yaml lists nothing the server dropped. Only routes OpenAPI never shows are left:
    // websockets, FastAPI's docs, the static mount and /api/metrics.
    const templates = Object.entries(spec.paths).flatMap(([template, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), templatePattern(template.startsWith('/api/') ? template : `/api${template}`)] as const));
    const notInOpenApi = table.routes.filter((r) => r.path.startsWith('/api/') && !templates.some(([m, p]) => m === r.method && p.test(r.path))).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(notInOpenApi.sort(), [
      'GET /api/docs', 'GET /api/docs/oauth2-redirect', 'GET /api/events/in', 'GET /api/events/out', 'GET /api/logs/out', 'GET /api/metrics',
      'GET /api/openapi.json', 'GET /api/redoc', 'GET /api/static/prefect-logo-mark-gradient.png', 'GET /api/task_runs/subscriptions/scheduled',
      'GET /api/work_pools/k8s-pool/workers/connect',
    ], 'routes.yaml lists routes the live server does not have');
  });
});
