// @ts-check
/**
 * An identity-bound Step Functions trigger: `POST /api/executions` starts the configured state machine with
 * StartExecution, and the execution's input names the verified caller (`GET /api/whoami` shows that caller without
 * starting anything), read only from the identity headers keygate
 * answered and Traefik copied onto the request (authResponseHeaders, which also removes any copy the client sent).
 *
 * It authorises nothing itself: keygate in front decides who may call it (policy.yaml). So it must be reachable only
 * through Traefik (a private network, no published port): a caller that reaches it directly can send any header.
 * Without X-Auth-Subject it refuses (fail closed), so a misrouted request never starts an execution as nobody.
 *
 * Environment:
 *   STATE_MACHINE_ARN   the state machine to start (required)
 *   AWS_REGION          e.g. us-east-1; credentials come from the SDK's default chain (env, web identity, ECS/EC2 role)
 *   AWS_ENDPOINT_URL_SFN  another Step Functions endpoint (moto in the tests), read by the SDK itself
 *   TRIGGER_HOST, TRIGGER_PORT  where to listen (default 0.0.0.0:8080)
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/** keygate's identity headers (its defaults; see keygate's `headers` settings). */
const HEADERS = {
  subject: 'x-auth-subject',
  user: 'x-auth-user',
  email: 'x-auth-email',
  name: 'x-auth-name',
  roles: 'x-auth-roles',
  groups: 'x-auth-groups',
  sid: 'x-auth-session',
};
/** Step Functions accepts at most 256 KiB of input; the caller's part is kept well below. */
const MAX_BODY = 64 * 1024;

/**
 * One header's value; a repeated header is refused (keygate sends each once, so a second copy is not keygate's).
 * @param {import('node:http').IncomingMessage} req
 * @param {string} name
 * @returns {string | undefined | null} null when the header is repeated
 */
function header(req, name) {
  const all = req.headersDistinct[name];
  if (all === undefined) return undefined;
  return all.length === 1 ? all[0] : null;
}

/**
 * keygate's list headers: comma-separated, each element percent-encoded (a role named `a,b` arrives as `a%2Cb`).
 * @param {string | undefined} value
 * @returns {string[]}
 */
function decodeList(value) {
  if (value === undefined || value === '') return [];
  return value.split(',').map((v) => decodeURIComponent(v));
}

/**
 * The verified caller from keygate's headers, or a reason to refuse.
 * @param {import('node:http').IncomingMessage} req
 * @returns {{ caller: Record<string, unknown> } | { refuse: string }}
 */
export function callerFrom(req) {
  /** @type {Record<string, string | undefined>} */
  const v = {};
  for (const [key, name] of Object.entries(HEADERS)) {
    const got = header(req, name);
    if (got === null) return { refuse: `${name} was sent more than once` };
    v[key] = got;
  }
  if (v['subject'] === undefined || v['subject'] === '') return { refuse: 'no X-Auth-Subject: not a request keygate allowed' };
  try {
    return {
      caller: {
        sub: v['subject'],
        username: v['user'] ?? '',
        email: v['email'] ?? '',
        name: v['name'] ?? '',
        roles: decodeList(v['roles']),
        groups: decodeList(v['groups']),
        // The Keycloak session the call was made in (policy.yaml's orders-start rule sends it); none for a bot.
        ...(v['sid'] !== undefined && v['sid'] !== '' ? { sid: v['sid'] } : {}),
      },
    };
  } catch {
    return { refuse: 'an identity list header is not valid percent-encoding' };
  }
}

/**
 * The request body as JSON (an object, or empty), at most MAX_BODY bytes.
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<Record<string, unknown>>}
 */
async function jsonBody(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RangeError(`body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  const parsed = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('body must be a JSON object');
  return parsed;
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * Builds the trigger's request handler.
 * @param {{ sfn: SFNClient, stateMachineArn: string, log?: (line: Record<string, unknown>) => void }} opts
 */
export function createTrigger(opts) {
  const log = opts.log ?? ((line) => process.stdout.write(`${JSON.stringify(line)}\n`));
  /** @type {import('node:http').RequestListener} */
  return async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return send(res, 200, { ok: true });
    const route = path === '/api/executions' ? 'start' : path === '/api/whoami' ? 'whoami' : undefined;
    if (route === undefined) return send(res, 404, { error: 'not_found' });
    if (req.method !== (route === 'start' ? 'POST' : 'GET')) return send(res, 405, { error: 'method_not_allowed' });
    const who = callerFrom(req);
    if ('refuse' in who) {
      log({ msg: 'refused', reason: who.refuse });
      return send(res, 401, { error: 'unauthenticated' });
    }
    if (route === 'whoami') return send(res, 200, { caller: who.caller });
    let body;
    try {
      body = await jsonBody(req);
    } catch (err) {
      return send(res, 400, { error: 'bad_request', detail: err instanceof Error ? err.message : 'unreadable body' });
    }
    // The caller part is built last, from the headers only: a `caller` key in the body cannot replace it.
    const input = { request: body['input'] ?? {}, caller: who.caller, triggeredAt: new Date().toISOString() };
    const name = `trigger-${randomUUID()}`;
    try {
      const out = await opts.sfn.send(new StartExecutionCommand({ stateMachineArn: opts.stateMachineArn, name, input: JSON.stringify(input) }));
      log({ msg: 'started', executionArn: out.executionArn, sub: who.caller['sub'], username: who.caller['username'] });
      return send(res, 201, { executionArn: out.executionArn, startDate: out.startDate, caller: who.caller });
    } catch (err) {
      log({ msg: 'StartExecution failed', error: err instanceof Error ? err.name : 'unknown' });
      return send(res, 502, { error: 'start_failed' });
    }
  };
}

/** Reads the environment and listens. */
async function main() {
  const stateMachineArn = process.env['STATE_MACHINE_ARN'];
  if (stateMachineArn === undefined || stateMachineArn === '') throw new Error('STATE_MACHINE_ARN is required');
  const sfn = new SFNClient({});
  const server = createServer(createTrigger({ sfn, stateMachineArn }));
  const host = process.env['TRIGGER_HOST'] ?? '0.0.0.0';
  const port = Number(process.env['TRIGGER_PORT'] ?? '8080');
  server.listen(port, host, () => process.stdout.write(`${JSON.stringify({ msg: 'listening', host, port })}\n`));
  for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) process.once(signal, () => server.close());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
