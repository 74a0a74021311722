/**
 * Issue 14.5, bots and agents with identities: a CI bot and an AI agent, each its own Keycloak client with a service
 * account (examples/prefect/realm.json: ci-bot, ai-agent; client role prefect:runner), take tokens by the
 * client-credentials grant and start a run of a Prefect deployment through real Traefik and keygate. keygate's audit
 * line names the bot (user service-account-…, azp), the deployment id (path) and the decision, which answers "who
 * triggered this run?" together with the run Prefect recorded.
 */
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { jwtPayload } from '../../support/keycloak.js';
import { createDeployment, proxied, runPrefect } from '../../support/prefect.js';
import { bearerHeaders, prefectStack, REALM, type PrefectStack } from '../../support/prefect-stack.js';

const BOTS = { 'ci-bot': 'ci-bot-secret-change-me', 'ai-agent': 'ai-agent-secret-change-me' } as const;
type Bot = keyof typeof BOTS;

interface Env { s: PrefectStack; deploymentId: string; tokens: Record<Bot, string> }
let setup: Promise<Env | undefined> | undefined;
let env: Env | undefined;
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const s = await prefectStack(t);
  if (s === undefined) return undefined;
  const { deploymentId } = await createDeployment(s.prefectBin, `${s.prefect.url}/api`, 'etl', 'nightly');
  const tokens = {
    'ci-bot': (await s.kc.clientCredentials(REALM, 'ci-bot', BOTS['ci-bot'])).access_token,
    'ai-agent': (await s.kc.clientCredentials(REALM, 'ai-agent', BOTS['ai-agent'])).access_token,
  };
  env = { s, deploymentId, tokens };
  return env;
}

/** One keygate audit line (msg "decision"). */
type Audit = Record<string, unknown>;

/**
 * "Who triggered flow run `runId`?", answered the way examples/prefect/README.md describes: Prefect names the run's
 * deployment and creation time; keygate's last allowed `POST /api/deployments/<that id>/create_flow_run` at or
 * before that time names the caller.
 */
async function whoTriggered(e: Env, runId: string): Promise<Audit | undefined> {
  const run = await (await fetch(`${e.s.prefect.url}/api/flow_runs/${runId}`)).json() as { deployment_id: string; created: string };
  const created = Date.parse(run.created);
  return e.s.kg.logs()
    .filter((l) => l['msg'] === 'decision' && l['decision'] === 'allow' && l['method'] === 'POST' && l['path'] === `/api/deployments/${run.deployment_id}/create_flow_run`)
    // keygate decides (and logs) before Prefect creates the run, on the same clock: the last allow at or before
    // `created` is the caller, as examples/prefect/README.md tells operators.
    .filter((l) => Date.parse(String(l['time'])) <= created)
    .at(-1);
}

describe('bots and agents: service accounts start Prefect runs through keygate, and the audit line says who', () => {
  after(async () => env?.s.stop());

  it('the bots\' tokens come from the client-credentials grant and carry the client role prefect:runner', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    for (const bot of Object.keys(BOTS) as Bot[]) {
      const claims = jwtPayload(e.tokens[bot]);
      assert.equal(claims['azp'], bot);
      assert.equal(claims['preferred_username'], `service-account-${bot}`);
      assert.deepEqual((claims['resource_access'] as Record<string, { roles: string[] }>)['prefect']?.roles, ['runner']);
      assert.ok([claims['aud']].flat().includes('keygate'), `aud ${JSON.stringify(claims['aud'])}`);
    }
  });

  it('the CI bot starts a run over HTTP and the AI agent with the real `prefect deployment run`; each run is traced to its bot', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    // The CI bot: one HTTP call, as a pipeline step with curl would make it.
    const ci = await proxied(e.s.traefik, `/api/deployments/${e.deploymentId}/create_flow_run`, {
      method: 'POST', headers: { authorization: `Bearer ${e.tokens['ci-bot']}`, 'content-type': 'application/json' }, body: '{}',
    });
    assert.equal(ci.status, 201, ci.body);
    const ciRun = (JSON.parse(ci.body) as { id: string }).id;
    // The AI agent: Prefect's own CLI, its token in PREFECT_CLIENT_CUSTOM_HEADERS.
    const agent = await runPrefect(e.s.prefectBin, ['deployment', 'run', 'etl/nightly'], { PREFECT_API_URL: e.s.api, ...bearerHeaders(e.tokens['ai-agent']) });
    assert.equal(agent.code, 0, `${agent.stdout}\n${agent.stderr}`);
    const agentRun = /UUID:\s*([0-9a-f-]{36})/.exec(agent.stdout)?.[1];
    assert.ok(agentRun !== undefined, agent.stdout);

    for (const [run, bot] of [[ciRun, 'ci-bot'], [agentRun, 'ai-agent']] as const) {
      const line = await whoTriggered(e, run);
      assert.ok(line !== undefined, `no audit line for run ${run}`);
      t.diagnostic(`who triggered flow run ${run}? ${JSON.stringify({ time: line['time'], user: line['user'], azp: line['azp'], sub: line['sub'], decision: line['decision'], rule: line['rule'], path: line['path'] })}`);
      assert.deepEqual(
        { user: line['user'], azp: line['azp'], decision: line['decision'], rule: line['rule'], status: line['status'], path: line['path'] },
        { user: `service-account-${bot}`, azp: bot, decision: 'allow', rule: 'prefect-run-deployment', status: 200, path: `/api/deployments/${e.deploymentId}/create_flow_run` },
      );
    }
    assert.notEqual(ciRun, agentRun);
  });

  it('a runner may do nothing else: listing runs, changing the deployment and reading block documents are refused (403)', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const auth = { authorization: `Bearer ${e.tokens['ci-bot']}`, 'content-type': 'application/json' };
    const table = [
      { method: 'POST', path: '/api/flow_runs/filter', rule: 'prefect-query' },
      { method: 'PATCH', path: `/api/deployments/${e.deploymentId}`, rule: 'prefect-write' },
      { method: 'DELETE', path: `/api/deployments/${e.deploymentId}`, rule: 'prefect-write' },
      { method: 'GET', path: '/api/block_documents/0b1c9a52-7d3e-4f1a-9c2b-5e6f7a8b9c0d', rule: 'prefect-block-documents-read' },
    ];
    for (const c of table) {
      const r = await proxied(e.s.traefik, c.path, { method: c.method, headers: auth, ...(c.method === 'GET' ? {} : { body: '{}' }) });
      assert.equal(r.status, 403, `${c.method} ${c.path}: ${r.body}`);
      const line = e.s.kg.logs().filter((l) => l['msg'] === 'decision' && l['path'] === c.path && l['method'] === c.method).at(-1);
      assert.deepEqual([line?.['decision'], line?.['rule'], line?.['azp'], line?.['user']], ['deny', c.rule, 'ci-bot', 'service-account-ci-bot']);
    }
    // The deployment is still there: the refused DELETE never reached Prefect.
    assert.equal((await fetch(`${e.s.prefect.url}/api/deployments/${e.deploymentId}`)).status, 200);
  });
});
