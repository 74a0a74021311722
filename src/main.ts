/** The composition root: builds the service from a validated Config. The one place that wires modules together. */
import { createServer, type Server } from 'node:http';
import { compileCidrs } from './config/cidr.js';
import type { Config } from './config/types.js';
import { createApp, createMetricsApp } from './http/app.js';
import { createAuthHandler, type PolicyMatch } from './http/auth-handler.js';
import { createSignInRoutes } from './http/sign-in-routes.js';
import { createHttpServer, listen, type HttpServer } from './http/server.js';
import { createBasicExchange } from './identity/basic-credentials.js';
import { Keycloak, type KeycloakOptions } from './identity/keycloak.js';
import type { Identity } from './identity/types.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { decide, matchRule } from './policy/evaluate.js';
import { describeNeeds } from './policy/needs.js';
import type { Target } from './policy/types.js';
import type { SessionContext } from './session/module.js';
import { createRevocationStore } from './session/redis-revocation.js';
import type { SessionLayer } from './session/types.js';
import { PolicyStore, readPolicyFile } from './service/policy-store.js';
import { AuthError } from './errors.js';
import { createLogger, type Logger } from './util/log.js';
import { createTracer } from './telemetry/tracer.js';
import { tracedFetch } from './telemetry/traced-fetch.js';
import { version } from './version.js';

/** Code-level options (test hooks and fault injection); never YAML keys. */
export interface ServiceOptions {
  readonly log?: Logger;
  readonly metrics?: Metrics;
  readonly keycloak?: KeycloakOptions;
  /** Replaces policy matching (fault injection in tests). */
  readonly match?: (target: Target) => PolicyMatch;
  /** Replaces token verification (fault injection in tests). */
  readonly verify?: (token: string) => Promise<Identity>;
  /** Watch the policy file for changes (default true). */
  readonly watchPolicy?: boolean;
  /** Builds the browser sign-in layer; absent = bearer tokens only. */
  readonly sessions?: (ctx: SessionContext) => SessionLayer | Promise<SessionLayer>;
}

/** What the session layer gets from the composition root. */
export type { SessionContext } from './session/module.js';

/** A running keygate. */
export interface Service {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  readonly metrics: Metrics;
  readonly keycloak: Keycloak;
  readonly policy: PolicyStore;
  readonly log: Logger;
  /** Stops at once: open connections are cut (tests, the dev demo). */
  close(): Promise<void>;
  /**
   * Graceful stop (SIGTERM): /readyz turns 503, the listener keeps serving for `shutdown.drainDelaySeconds`, then
   * closes; in-flight requests are answered within `shutdown.graceSeconds`. Rejects when that bound forced the stop.
   */
  shutdown(): Promise<void>;
}

/**
 * Starts keygate: binds the listeners first (a taken port fails at once with a ListenError), loads the policy
 * (throws ERR_POLICY_INVALID with every problem), starts discovery, then serves. On any failure everything
 * opened so far is released before the error is rethrown, so the process can exit.
 */
export async function startService(config: Config, opts: ServiceOptions = {}): Promise<Service> {
  const log = opts.log ?? createLogger({ level: config.logLevel });
  const closers: Array<() => unknown> = [];
  try {
    return await build(config, opts, log, closers);
  } catch (err) {
    for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    log.flush();
    throw err;
  }
}

async function build(config: Config, opts: ServiceOptions, log: Logger, closers: Array<() => unknown>): Promise<Service> {
  const metrics = opts.metrics ?? createMetrics();
  const http = createHttpServer(config.limits);
  const server = http.server;
  closers.push(() => closeServer(server));
  const port = await listen(server, config.port, config.host, 'port', 'port / $KEYGATE_PORT');
  let metricsServer: Server | undefined;
  if (config.metricsPort !== undefined) {
    const ms = createServer({ maxHeaderSize: config.limits.maxHeaderBytes }, createMetricsApp(metrics.registry));
    closers.push(() => closeServer(ms));
    await listen(ms, config.metricsPort, config.host, 'metricsPort', 'metricsPort / $KEYGATE_METRICS_PORT');
    metricsServer = ms;
  }
  const loaded = readPolicyFile(config.policyFile);
  if (!loaded.ok) throw new AuthError('ERR_POLICY_INVALID', { detail: loaded.problems.join('\n') });
  for (const w of loaded.warnings ?? []) log.warn('policy warning', { problem: w });
  const policy = new PolicyStore(config.policyFile, loaded.policy, log, metrics);
  closers.push(() => policy.close());
  if (opts.watchPolicy !== false) policy.watch();
  // Tracing (OTEL_* variables): off = no tracer, and nothing on the hot path or around IdP calls changes.
  const tracer = config.tracing === undefined ? undefined : createTracer(config.tracing, {
    version: version(), subject: config.tracing.subject,
    onDrop: (reason, spans) => metrics.traceSpansDropped.inc({ reason }, spans),
    onExportError: (message) => log.warn('trace export failed', { problem: message }),
  });
  if (tracer !== undefined) closers.push(() => tracer.shutdown());
  const traced = tracer === undefined ? {} : { fetch: tracedFetch(opts.keycloak?.fetch ?? fetch, tracer) };
  // With browser sign-in, back-channel logouts are stored (memory, or Redis with KEYGATE_REDIS_URL): the sessions
  // record and consult them, and bearer tokens of a logged-out Keycloak session are refused too.
  const revocations = opts.sessions === undefined ? undefined : await createRevocationStore(config.redisUrl, { log, bounds: config.redis });
  if (revocations !== undefined) closers.push(() => revocations.close());
  const isRevoked = revocations === undefined ? {} : { isRevoked: (sid: string) => revocations.isRevoked(sid, '', Number.POSITIVE_INFINITY) };
  const keycloak = new Keycloak(config, log, metrics, { ...opts.keycloak, ...traced, ...isRevoked });
  closers.push(() => keycloak.close());
  await keycloak.start();
  const sessions = opts.sessions === undefined || revocations === undefined ? undefined
    : await opts.sessions({ config, keycloak, revocations, metrics, log, policy: () => policy.current });
  const match = opts.match ?? ((target: Target): PolicyMatch => {
    const m = matchRule(policy.current, target);
    // The clock for maxAuthAge (issue 13): evaluate() stays pure, the composition root passes the time in.
    return { needsIdentity: m.needsIdentity, decide: (identity) => decide(m, identity, Date.now()), needs: () => describeNeeds(m) };
  });
  const isTrustedPeer = compileCidrs(config.trustedProxies);
  const auth = createAuthHandler({
    config, match, metrics, log,
    verify: opts.verify ?? ((token) => keycloak.verifier.verify(token)),
    peek: opts.verify === undefined ? (token) => keycloak.verifier.peek(token) : undefined,
    basic: config.basicClients.length === 0 ? undefined : createBasicExchange({
      clients: config.basicClients, tokenEndpoint: () => keycloak.oidc?.serverMetadata().token_endpoint,
      fetch: keycloak.fetch, now: opts.keycloak?.now ?? Date.now,
      onFailure: (reason) => metrics.basicExchangeFailures.inc({ reason }),
    }),
    sessions,
    isTrustedPeer,
    tracer,
  });
  let stopping = false;
  const app = createApp({
    checks: [{ name: 'idp', ok: () => keycloak.ready }, // The store never holds an invalid policy: a policy that failed to load stopped startup.
      { name: 'policy', ok: () => policy.current.rules !== undefined },
      { name: 'shutdown', ok: () => !stopping }],
    registry: config.metricsPort === undefined ? metrics.registry : undefined,
    keygateRoutes: sessions === undefined ? undefined : createSignInRoutes(sessions, config, isTrustedPeer),
    log,
  });
  http.route({ auth, app });
  log.info('keygate listening', { host: config.host, port, issuer: config.issuer, policy: config.policyFile, rules: policy.current.rules.length });
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const release = async (): Promise<void> => {
    policy.close();
    keycloak.close();
    await revocations?.close();
    if (metricsServer !== undefined) await closeServer(metricsServer);
    // Spans still queued are exported (each batch within its deadline) before the process exits.
    await tracer?.shutdown();
    log.flush();
  };
  let shutdown: Promise<void> | undefined;
  return {
    server, port, metrics, keycloak, policy, log,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      stopping = true;
      await closeServer(server);
      await release();
    },
    shutdown() {
      stopping = true;
      shutdown ??= drainAndClose(http, config, log).finally(release);
      return shutdown;
    },
  };
}

/** Graceful stop of the listener: readiness is already 503; serve on through the drain delay, then close and wait for in-flight answers. */
async function drainAndClose(http: HttpServer, config: Config, log: Logger): Promise<void> {
  const { drainDelaySeconds, graceSeconds } = config.shutdown;
  log.info('draining', { drainDelaySeconds, graceSeconds });
  await new Promise((r) => setTimeout(r, drainDelaySeconds * 1000));
  http.drain();
  const closed = new Promise<void>((r) => http.server.close(() => r()));
  // Connections idle between requests are closed now and whenever one falls idle; busy ones finish their answer first.
  const idle = setInterval(() => http.server.closeIdleConnections(), 100);
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<'forced'>((r) => { timer = setTimeout(() => r('forced'), graceSeconds * 1000); });
  const outcome = await Promise.race([closed.then(() => 'closed' as const), forced]);
  clearInterval(idle);
  clearTimeout(timer);
  if (outcome === 'forced') {
    http.server.closeAllConnections();
    log.error('shutdown grace period passed with requests in flight; closing their connections', { graceSeconds });
    throw new Error(`requests still in flight after shutdown.graceSeconds (${graceSeconds} s)`);
  }
  log.info('listener closed; every in-flight request was answered');
}

/** Closes a server at once, cutting its open connections. */
function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
}
