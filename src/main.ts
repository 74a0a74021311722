/** The composition root: builds the service from a validated Config. The one place that wires modules together. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from 'express';
import { compileCidrs } from './config/cidr.js';
import type { Config } from './config/types.js';
import { createApp, createMetricsApp } from './http/app.js';
import { createAuthHandler, type PolicyMatch, type SessionLayer } from './http/auth-handler.js';
import { createHttpServer } from './http/server.js';
import { Keycloak, type KeycloakOptions } from './identity/keycloak.js';
import type { Identity } from './identity/types.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { decide, matchRule } from './policy/evaluate.js';
import type { Target } from './policy/types.js';
import type { CompiledPolicy } from './policy/compile.js';
import { PolicyStore, readPolicyFile } from './service/policy-store.js';
import { AuthError } from './errors.js';
import { createLogger, type Logger } from './util/log.js';

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
  readonly sessions?: (ctx: SessionContext) => Promise<SessionModule>;
}

/** The browser sign-in layer as the composition root sees it. */
export interface SessionModule {
  readonly layer: SessionLayer;
  /** Routes mounted under /_keygate for direct requests (auth-host mode). */
  readonly routes: Router;
  /** Whether a Keycloak session id was logged out (back-channel), for bearer tokens carrying that `sid`. */
  readonly isRevoked: (sid: string) => boolean;
  close(): Promise<void>;
}

/** What the session layer gets from the composition root. */
export interface SessionContext {
  readonly config: Config;
  /** The policy in force (its hosts bound redirect targets). */
  readonly policy: () => CompiledPolicy;
  readonly keycloak: Keycloak;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/** A running keygate. */
export interface Service {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  readonly metrics: Metrics;
  readonly keycloak: Keycloak;
  readonly policy: PolicyStore;
  readonly log: Logger;
  close(): Promise<void>;
}

/** Starts keygate: loads the policy (throws ERR_POLICY_INVALID with every problem), starts discovery, listens. */
export async function startService(config: Config, opts: ServiceOptions = {}): Promise<Service> {
  const log = opts.log ?? createLogger({ level: config.logLevel });
  const metrics = opts.metrics ?? createMetrics();
  const loaded = readPolicyFile(config.policyFile);
  if (!loaded.ok) throw new AuthError('ERR_POLICY_INVALID', { detail: loaded.problems.join('\n') });
  for (const w of loaded.warnings ?? []) log.warn('policy warning', { problem: w });
  const policy = new PolicyStore(config.policyFile, loaded.policy, log, metrics);
  if (opts.watchPolicy !== false) policy.watch();
  // Bearer tokens of a logged-out Keycloak session are refused too; the store arrives with the session layer.
  let isRevoked: ((sid: string) => boolean) | undefined;
  const keycloak = new Keycloak(config, log, metrics, { ...opts.keycloak, isRevoked: (sid) => isRevoked?.(sid) === true });
  await keycloak.start();
  const sessions = opts.sessions ? await opts.sessions({ config, keycloak, metrics, log, policy: () => policy.current }) : undefined;
  isRevoked = sessions?.isRevoked;
  const match = opts.match ?? ((target: Target): PolicyMatch => {
    const m = matchRule(policy.current, target);
    return { needsIdentity: m.needsIdentity, decide: (identity) => decide(m, identity, Date.now()) };
  });
  const auth = createAuthHandler({
    config, match, metrics, log,
    verify: opts.verify ?? ((token) => keycloak.verifier.verify(token)),
    peek: opts.verify === undefined ? (token) => keycloak.verifier.peek(token) : undefined,
    sessions: sessions?.layer,
    isTrustedPeer: compileCidrs(config.trustedProxies),
  });
  const app = createApp({
    checks: [{ name: 'idp', ok: () => keycloak.ready }, // The store never holds an invalid policy: a policy that failed to load stopped startup.
      { name: 'policy', ok: () => policy.current.rules !== undefined }],
    registry: config.metricsPort === undefined ? metrics.registry : undefined,
    keygateRoutes: sessions?.routes,
    log,
  });
  const server = createHttpServer({ auth, app });
  const port = await listen(server, config.port, config.host);
  const metricsServer = config.metricsPort === undefined ? undefined : createMetricsApp(metrics.registry).listen(config.metricsPort, config.host);
  log.info('keygate listening', { host: config.host, port, issuer: config.issuer, policy: config.policyFile, rules: policy.current.rules.length });
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    server, port, metrics, keycloak, policy, log,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      policy.close();
      keycloak.close();
      await sessions?.close();
      metricsServer?.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      log.flush();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
