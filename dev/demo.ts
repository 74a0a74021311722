/**
 * `keygate dev` (`npm start`): the local demo on loopback — the embedded Keycloak-compatible dev IdP (realm `demo`),
 * a demo app that shows the headers it received, a gateway that applies forward-auth the Traefik way, and keygate
 * with examples/demo/policy.yaml. The dev IdP refuses any address but loopback.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DEFAULT_HEADERS } from '../src/config/session-settings.js';
import { validateConfig } from '../src/config/validate.js';
import { compactDecisionLogger } from './audit-lines.js';
import { startGateway } from './gateway.js';
import { startDemoApp } from './demo-app.js';
import { DEMO_CI_READER, DEMO_CI_RUNNER, DEMO_USERS, demoKeygateClient, isLoopbackHost, startKeycloakLookalike } from './idp/index.js';
import { startService } from '../src/main.js';
import { createSessionModule } from '../src/session/module.js';
import { createLogger, type Logger } from '../src/util/log.js';
import { formatProblem } from '../src/util/problems.js';
import { parseCommandArgs, usageError, type CommandUsage } from '../src/cli/args.js';
import type { CliIo } from '../src/cli/io.js';

const DEMO_POLICY = fileURLToPath(new URL('../../examples/demo/policy.yaml', import.meta.url));
/** The identity headers keygate sends by default, copied by the gateway like Traefik's authResponseHeaders. */
const HEADERS = Object.values(DEFAULT_HEADERS);

/** The demo's ports (0 = any free port). */
interface Ports { gateway: number; idp: number; keygate: number; app: number }

const COMMAND: CommandUsage = {
  name: 'dev',
  usage: 'usage: keygate dev [--host 127.0.0.1] [--gateway-port 8080] [--idp-port 8180] [--keygate-port 4181] [--app-port 8081] [--policy FILE]\n',
};
const OPTIONS = {
  host: { type: 'string', default: '127.0.0.1' }, policy: { type: 'string', default: DEMO_POLICY },
  'gateway-port': { type: 'string', default: '8080' }, 'idp-port': { type: 'string', default: '8180' },
  'keygate-port': { type: 'string', default: '4181' }, 'app-port': { type: 'string', default: '8081' },
} as const;

/** Runs the demo until SIGINT/SIGTERM. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, COMMAND, { options: OPTIONS }, io);
  if ('exit' in parsed) return parsed.exit;
  const { values } = parsed;
  const ports: Ports = { gateway: Number(values['gateway-port']), idp: Number(values['idp-port']), keygate: Number(values['keygate-port']), app: Number(values['app-port']) };
  if (Object.values(ports).some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) return usageError(io, COMMAND, 'ports must be integers 0-65535');
  if (!hasDevDependencies()) {
    io.stderr('keygate dev: the dev identity provider needs the development dependencies (oidc-provider); run `npm install` in a clone of keygate. It is never part of a production install.\n');
    return 1;
  }
  if (!isLoopbackHost(values.host)) {
    io.stderr(`keygate dev: refusing to bind to ${values.host}: the dev identity provider is for local use only and binds to loopback (127.0.0.1, ::1, localhost) only.\n`);
    return 1;
  }
  const taken = await firstTakenPort(values.host, ports);
  if (taken !== undefined) {
    io.stderr(`keygate dev: port ${taken.port} on ${values.host} (${taken.role}) is already in use (${taken.code}); choose another with --${taken.flag} PORT (0 = any free port)\n`);
    return 1;
  }
  return runDemo(io, values.host, values.policy, ports);
}

/** True when oidc-provider resolves: the dev IdP loads it only when it starts, so a missing one is found here first. */
function hasDevDependencies(): boolean {
  try {
    import.meta.resolve('oidc-provider');
    return true;
  } catch {
    return false;
  }
}

/** What each demo port is for and the flag that changes it. */
const PORT_ROLES: ReadonlyArray<{ key: keyof Ports; role: string; flag: string }> = [
  { key: 'gateway', role: 'the gateway', flag: 'gateway-port' },
  { key: 'idp', role: 'the dev identity provider', flag: 'idp-port' },
  { key: 'keygate', role: 'keygate', flag: 'keygate-port' },
  { key: 'app', role: 'the demo app', flag: 'app-port' },
];

/** The first fixed port that cannot be bound, with its role and flag; undefined when all are free. */
async function firstTakenPort(host: string, ports: Ports): Promise<{ port: number; role: string; flag: string; code: string } | undefined> {
  for (const { key, role, flag } of PORT_ROLES) {
    const port = ports[key];
    if (port === 0) continue;
    const code = await bindError(host, port);
    if (code !== undefined) return { port, role, flag, code };
  }
  return undefined;
}

/** Binds `host:port` briefly; the error code when it cannot, else undefined. */
function bindError(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
}

async function runDemo(io: CliIo, host: string, policyFile: string, ports: Ports): Promise<number> {
  const idp = await startKeycloakLookalike({
    host, port: ports.idp, realm: 'demo', users: DEMO_USERS,
    clients: [demoKeygateClient(), DEMO_CI_RUNNER, DEMO_CI_READER],
  });
  const app = await startDemoApp(host, ports.app);
  // Decisions are shown compactly as they happen unless the full JSON lines of `keygate serve` were asked for.
  const logLevel = process.env['KEYGATE_LOG_LEVEL'];
  const jsonAudit = logLevel === 'info' || logLevel === 'debug';
  const env: Record<string, string> = {
    KEYGATE_ISSUER: idp.issuer, KEYGATE_CLIENT_ID: 'keygate', KEYGATE_CLIENT_SECRET: 'keygate-secret',
    KEYGATE_AUDIENCES: 'keygate', KEYGATE_AUTHORIZED_PARTIES: 'keygate,ci-runner,ci-reader',
    KEYGATE_SESSION_SECRETS: randomBytes(32).toString('base64url'), KEYGATE_POLICY: policyFile,
    KEYGATE_PORT: String(ports.keygate === 0 ? 4181 : ports.keygate), KEYGATE_HOST: host, KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32,::1/128',
    KEYGATE_COOKIE_SECURE: 'false', KEYGATE_ALLOW_INSECURE_ISSUER: 'true', KEYGATE_REDIRECT_HOSTS: `${host},localhost`,
    KEYGATE_LOG_LEVEL: logLevel ?? 'warn',
  };
  const checked = validateConfig({ env, readFile: (p) => readFileSync(p, 'utf8') });
  if (checked.value === undefined) {
    for (const e of checked.errors) io.stderr(`${formatProblem(e)}\n`);
    await idp.close();
    await app.close();
    return 1;
  }
  const config = ports.keygate === 0 ? { ...checked.value, port: 0 } : checked.value;
  const log: Logger | undefined = jsonAudit ? undefined : compactDecisionLogger(io.stdout, createLogger({ level: config.logLevel }));
  const service = await startService(config, { sessions: createSessionModule, ...(log === undefined ? {} : { log }) });
  const gateway = await startGateway({ host, port: ports.gateway, authUrl: `${service.url}/auth`, upstream: app.url, authResponseHeaders: HEADERS });
  io.stdout(banner(gateway.url, idp.issuer, service.url, jsonAudit));
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      void (async () => {
        await gateway.close();
        await service.close();
        await app.close();
        await idp.close();
        resolve(0);
      })();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** What the demo prints once it runs: where to go, who to sign in as, curl examples, and where decisions show. */
function banner(gateway: string, issuer: string, keygate: string, jsonAudit: boolean): string {
  const token = `${issuer}/protocol/openid-connect/token`;
  return `
keygate dev: local demo (loopback only; the dev identity provider is not for production)

  Open in a browser:   ${gateway}/   (its page links to every scenario: allowed, forbidden, API 401, sign out)
  Sign in as           alice/alice (viewer), bob/bob (engineer), carol/carol (admin)
  Identity provider:   ${issuer}
  keygate:             ${keygate}   (metrics: ${keygate}/metrics)

Try the API with the ci-reader service account (realm role viewer):
  $ TOKEN=$(curl -s -u ci-reader:ci-reader-secret -d grant_type=client_credentials ${token} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')
  $ curl -s -o /dev/null -w '%{http_code}\\n' -H "Authorization: Bearer $TOKEN" ${gateway}/api/flows
  200
  $ curl -s -o /dev/null -w '%{http_code}\\n' -H "Authorization: Bearer $TOKEN" -X POST ${gateway}/api/flows
  403
  $ curl -s -o /dev/null -w '%{http_code}\\n' ${gateway}/api/flows
  401

${jsonAudit
    ? 'Decisions: the JSON audit lines below, as keygate serve writes them (KEYGATE_LOG_LEVEL is info or debug).'
    : `Decisions appear below as they happen, one line each (the audit log, compact):
  time  status decision  request  rule (reason)  who
KEYGATE_LOG_LEVEL=info npm start prints the full JSON audit lines keygate serve writes instead.`}

Press Ctrl-C to stop.
`;
}
