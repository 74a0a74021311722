/**
 * The Step Functions example end to end (issue 14.4): the trigger (examples/step-functions/trigger.mjs, a real Node
 * process) behind real Traefik 3.7 with examples/step-functions/traefik/*, keygate with the example's policy, real
 * Keycloak with examples/step-functions/realm.json, and moto's server (PyPI moto[server] 5.2.5) as the AWS Step
 * Functions endpoint. The state machine (one Pass state) is created here; executions are read back with
 * DescribeExecution, so what is asserted is what Step Functions stored.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createSessionModule } from '../../../src/session/module.js';
import { hostRequest, startExampleTraefikFiles, type HostAnswer, type RunningExampleTraefik } from '../../support/example-traefik.js';
import { startKeygate, type TestKeygate } from '../../support/keygate.js';
import { jwtPayload, realKeycloak, type RealKeycloak } from '../../support/keycloak.js';
import { freePort, startProcess, tempDir, waitForHttp, type Proc } from '../../support/proc.js';
import { ROOT } from '../../support/proxies.js';
import { requireReal } from '../../support/real-systems.js';

const REALM = 'sfn';
const HOST = 'sfn.example.com';
const EXAMPLE = join(ROOT, 'examples/step-functions');
const REGION = 'us-east-1';
/** moto accepts any credentials; these only satisfy the SDK's signer. */
const DUMMY = { accessKeyId: 'moto-test', secretAccessKey: 'moto-test' } as const;
const USERS = { sam: 'sam-demo-password', vic: 'vic-demo-password' } as const;
const BOT = { id: 'release-bot', secret: 'release-bot-secret-change-me' } as const;

/** A client's secret as shipped in realm.json. */
function clientSecret(clientId: string): string {
  const doc = JSON.parse(readFileSync(join(EXAMPLE, 'realm.json'), 'utf8')) as { clients: Array<{ clientId: string; secret?: string }> };
  const secret = doc.clients.find((c) => c.clientId === clientId)?.secret;
  if (secret === undefined) throw new Error(`examples/step-functions/realm.json: client ${clientId} has no secret`);
  return secret;
}

/** Direct access grants on the keygate client for the test's password-grant tokens (off in the shipped file). */
async function openKeygateClient(kc: RealKeycloak): Promise<() => Promise<void>> {
  const id = await kc.clientUuid(REALM, 'keygate');
  const before = await kc.admin('GET', `/${REALM}/clients/${id}`) as Record<string, unknown>;
  await kc.admin('PUT', `/${REALM}/clients/${id}`, { ...before, directAccessGrantsEnabled: true });
  return async () => { await kc.admin('PUT', `/${REALM}/clients/${id}`, before); };
}

/** `moto_server -H 127.0.0.1 -p <free>`, answering once its HTTP server is up. */
async function startMoto(bin: string): Promise<{ url: string; proc: Proc }> {
  const port = await freePort();
  const proc = startProcess(bin, ['-H', '127.0.0.1', '-p', String(port)], { cwd: tempDir('keygate-moto-') });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/moto-api/`, proc, 60_000);
  return { url, proc };
}

/** The trigger as a real process, exactly as compose.yml runs it (node trigger.mjs), with moto as its endpoint. */
async function startTrigger(stateMachineArn: string, moto: string): Promise<{ url: string; proc: Proc }> {
  const port = await freePort();
  const proc = startProcess(process.execPath, [join(EXAMPLE, 'trigger.mjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tempDir('keygate-trigger-home-'),
      STATE_MACHINE_ARN: stateMachineArn, AWS_REGION: REGION, AWS_ENDPOINT_URL_SFN: moto,
      AWS_ACCESS_KEY_ID: DUMMY.accessKeyId, AWS_SECRET_ACCESS_KEY: DUMMY.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true',
      TRIGGER_HOST: '127.0.0.1', TRIGGER_PORT: String(port),
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, proc, 30_000);
  return { url, proc };
}

interface Env {
  kc: RealKeycloak; kg: TestKeygate; traefik: RunningExampleTraefik; sfn: SFNClient; stateMachineArn: string;
  trigger: { url: string; proc: Proc }; tokens: { sam: string; vic: string; bot: string };
}
let setup: Promise<Env | undefined> | undefined;
const stops: Array<() => Promise<unknown>> = [];
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));

async function start(t: TestContext): Promise<Env | undefined> {
  const motoBin = requireReal(t, 'moto_server');
  const traefikBin = requireReal(t, 'traefik');
  const kc = await realKeycloak(t, REALM);
  if (motoBin === undefined || traefikBin === undefined || kc === undefined) return undefined;
  stops.push(await openKeygateClient(kc));
  const moto = await startMoto(motoBin);
  stops.push(() => moto.proc.stop());
  const sfn = new SFNClient({ region: REGION, endpoint: moto.url, credentials: DUMMY });
  stops.push(async () => sfn.destroy());
  const created = await sfn.send(new CreateStateMachineCommand({
    name: `orders-${randomBytes(4).toString('hex')}`,
    roleArn: 'arn:aws:iam::123456789012:role/sfn-orders',
    definition: JSON.stringify({ StartAt: 'Record', States: { Record: { Type: 'Pass', End: true } } }),
  }));
  const stateMachineArn = created.stateMachineArn ?? '';
  const trigger = await startTrigger(stateMachineArn, moto.url);
  stops.push(() => trigger.proc.stop());
  const kg = await startKeygate(kc.issuer(REALM), readFileSync(join(EXAMPLE, 'policy.yaml'), 'utf8'), {
    env: {
      KEYGATE_CLIENT_SECRET: clientSecret('keygate'),
      KEYGATE_AUTHORIZED_PARTIES: 'keygate,release-bot',
      KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32',
      KEYGATE_LOG_LEVEL: 'info',
    },
    service: { sessions: createSessionModule },
  });
  stops.push(() => kg.close());
  const traefik = await startExampleTraefikFiles(traefikBin, {
    example: 'step-functions', host: HOST, keygate: kg.url, readyPath: '/healthz',
    services: { 'sfn-trigger': trigger.url, keycloak: kc.url },
  });
  stops.push(() => traefik.stop());
  const keygateClient = { id: 'keygate', secret: clientSecret('keygate') };
  const tokens = {
    sam: (await kc.password(REALM, keygateClient, 'sam', USERS.sam)).access_token,
    vic: (await kc.password(REALM, keygateClient, 'vic', USERS.vic)).access_token,
    bot: (await kc.clientCredentials(REALM, BOT.id, clientSecret(BOT.id))).access_token,
  };
  return { kc, kg, traefik, sfn, stateMachineArn, trigger, tokens };
}

/** POST /api/executions through Traefik, with a bearer token (unless undefined) and any extra headers. */
function startThroughTraefik(e: Env, token: string | undefined, body: unknown = {}, extra: Record<string, string> = {}): Promise<HostAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...extra };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  return hostRequest(e.traefik.port, `${HOST}:${e.traefik.port}`, '/api/executions', { method: 'POST', headers, body: JSON.stringify(body) });
}

/** Every execution of the test's state machine. */
async function executions(e: Env): Promise<string[]> {
  const out = await e.sfn.send(new ListExecutionsCommand({ stateMachineArn: e.stateMachineArn }));
  return (out.executions ?? []).map((x) => x.executionArn ?? '');
}

/** The execution's input as Step Functions stored it. */
async function storedInput(e: Env, executionArn: string): Promise<{ caller: Record<string, unknown>; request: unknown }> {
  const d = await e.sfn.send(new DescribeExecutionCommand({ executionArn }));
  assert.equal(d.stateMachineArn, e.stateMachineArn);
  return JSON.parse(d.input ?? '{}') as { caller: Record<string, unknown>; request: unknown };
}

/** Headers a client forges, hoping the trigger reads them as keygate's. */
const FORGED = {
  'x-auth-subject': '00000000-0000-0000-0000-000000000000',
  'x-auth-user': 'admin',
  'x-auth-email': 'admin@example.com',
  'x-auth-name': 'Admin',
  'x-auth-roles': 'sfn-orders-starter,admin',
  'x-auth-groups': '/sfn/admins',
  'x-auth-session': 'forged-session',
} as const;

describe('Step Functions example: the trigger behind real Traefik and keygate, real Keycloak, moto as Step Functions', () => {
  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('only the role the policy names starts the state machine; refused calls never reach Step Functions', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const before = await executions(e);
    assert.equal((await startThroughTraefik(e, undefined)).status, 401, 'anonymous');
    assert.equal((await startThroughTraefik(e, undefined, {}, FORGED)).status, 401, 'anonymous with forged identity headers');
    const vic = await startThroughTraefik(e, e.tokens.vic);
    assert.equal(vic.status, 403, `vic (sfn-viewer): ${vic.body.slice(0, 200)}`);
    assert.equal((await startThroughTraefik(e, e.tokens.vic, {}, FORGED)).status, 403, 'vic with forged X-Auth-Roles');
    assert.deepEqual(await executions(e), before, 'a refused call started an execution');

    const sam = await startThroughTraefik(e, e.tokens.sam, { input: { order: 1 } });
    assert.equal(sam.status, 201, `sam (sfn-orders-starter): ${sam.body.slice(0, 300)}`);
    const bot = await startThroughTraefik(e, e.tokens.bot, { input: { order: 2 } });
    assert.equal(bot.status, 201, `release-bot's service account: ${bot.body.slice(0, 300)}`);
    const arns = [sam, bot].map((r) => (JSON.parse(r.body) as { executionArn: string }).executionArn);
    assert.deepEqual((await executions(e)).filter((a) => !before.includes(a)).sort(), [...arns].sort());
  });

  it('the execution\'s input, read back through DescribeExecution, names the real caller whatever the client forged', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const samClaims = jwtPayload(e.tokens.sam);
    const r = await startThroughTraefik(e, e.tokens.sam, { input: { order: 1042 }, caller: { sub: 'forged-in-body' } }, FORGED);
    assert.equal(r.status, 201, r.body.slice(0, 300));
    const { executionArn } = JSON.parse(r.body) as { executionArn: string };
    const input = await storedInput(e, executionArn);
    assert.deepEqual(input.request, { order: 1042 });
    assert.deepEqual(
      { ...input.caller, roles: undefined, sid: undefined },
      { sub: await e.kc.userId(REALM, 'sam'), username: 'sam', email: 'sam@example.com', name: 'Sam Starter', roles: undefined, sid: undefined, groups: ['/sfn/starters'] },
    );
    assert.equal(input.caller['sub'], samClaims['sub'], 'the sub of the token sam presented');
    const roles = input.caller['roles'] as string[];
    assert.ok(roles.includes('sfn-orders-starter'), `roles: ${JSON.stringify(roles)}`);
    assert.ok(!roles.includes('admin'), 'a forged role reached the input');
    // The Keycloak session of the token sam presented (the rule's X-Auth-Session header), never the forged one.
    assert.equal(typeof samClaims['sid'], 'string', 'a password-grant token carries its session id');
    assert.equal(input.caller['sid'], samClaims['sid']);

    const b = await startThroughTraefik(e, e.tokens.bot, {}, FORGED);
    assert.equal(b.status, 201);
    const botInput = await storedInput(e, (JSON.parse(b.body) as { executionArn: string }).executionArn);
    assert.equal(botInput.caller['username'], 'service-account-release-bot');
    assert.equal(botInput.caller['sub'], await e.kc.userId(REALM, 'service-account-release-bot'));
    assert.ok((botInput.caller['roles'] as string[]).includes('sfn-orders-starter'));
    assert.equal(botInput.caller['sid'], jwtPayload(e.tokens.bot)['sid'], 'the bot\'s own session id, if its token has one; never the forged one');
  });

  it('a viewer sees who the trigger takes them for (GET /api/whoami): their own identity whatever they forged', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const r = await hostRequest(e.traefik.port, `${HOST}:${e.traefik.port}`, '/api/whoami', { headers: { authorization: `Bearer ${e.tokens.vic}`, ...FORGED } });
    assert.equal(r.status, 200, r.body.slice(0, 300));
    const { caller } = JSON.parse(r.body) as { caller: Record<string, unknown> };
    assert.equal(caller['username'], 'vic');
    assert.equal(caller['sub'], await e.kc.userId(REALM, 'vic'));
    assert.deepEqual(caller['groups'], ['/sfn/viewers']);
    assert.ok(!(caller['roles'] as string[]).includes('sfn-orders-starter'), 'a forged role reached the trigger');
    assert.equal((await hostRequest(e.traefik.port, `${HOST}:${e.traefik.port}`, '/api/whoami')).status, 401, 'anonymous');
  });

  it('the trigger reads keygate\'s headers strictly: percent-encoded lists decoded, a repeated or undecodable header refused', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const whoami = (headers: string[][]): Promise<Response> => fetch(`${e.trigger.url}/api/whoami`, { headers: new Headers(headers as Array<[string, string]>) });
    // keygate encodes each element: a role named "a,b" arrives as a%2Cb (docs/security.md, identity headers).
    const listed = await whoami([['x-auth-subject', 's-1'], ['x-auth-user', 'u'], ['x-auth-roles', 'a%2Cb,sfn-orders-starter'], ['x-auth-groups', '/t%C3%A9am']]);
    assert.equal(listed.status, 200);
    const { caller } = await listed.json() as { caller: Record<string, unknown> };
    assert.deepEqual([caller['roles'], caller['groups']], [['a,b', 'sfn-orders-starter'], ['/téam']]);
    assert.equal((await whoami([['x-auth-subject', 's-1'], ['x-auth-roles', '%zz']])).status, 401, 'undecodable list');
    // Two X-Auth-User lines (fetch would join them into one): Node joins them with ", " in req.headers; the trigger
    // reads each header's distinct copies and refuses.
    const repeated = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${e.trigger.url}/api/whoami`, { headers: { 'x-auth-subject': 's-1', 'x-auth-user': ['a', 'b'] } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end();
    });
    assert.equal(repeated, 401, 'repeated X-Auth-User');
    assert.equal((await whoami([['x-auth-subject', '']])).status, 401, 'empty subject');
  });

  it('the trigger itself refuses a request without keygate\'s headers (fail closed when reached directly)', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const before = await executions(e);
    const direct = await fetch(`${e.trigger.url}/api/executions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${e.tokens.sam}` }, body: '{}' });
    assert.equal(direct.status, 401, 'the trigger reads no token: without X-Auth-Subject it starts nothing');
    assert.deepEqual(await executions(e), before);
  });
});
