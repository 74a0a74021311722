/** Builds the browser sign-in layer from the composition root's context. */
import type { Config } from '../config/types.js';
import type { Keycloak } from '../identity/keycloak.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { Logger } from '../util/log.js';
import type { SessionDeps } from './session-cookie.js';
import { createSessionLayer } from './layer.js';
import type { RedirectPolicy } from './redirects.js';
import type { RevocationStore } from './revocation.js';
import { Sealer } from './seal.js';
import type { SessionLayer } from './types.js';

/** What the session layer gets from the composition root (main.ts), which owns and closes each of these. */
export interface SessionContext {
  readonly config: Config;
  /** The policy in force (its hosts bound redirect targets). */
  readonly policy: () => CompiledPolicy;
  readonly keycloak: Keycloak;
  /** Revocations by back-channel logout; the bearer-token verifier consults the same store. */
  readonly revocations: RevocationStore;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/** Hosts named by the policy's rules (exact and `*.` wildcards) plus `redirectHosts`: where redirects may go. */
export function redirectHosts(policy: CompiledPolicy, extra: readonly string[]): string[] {
  const hosts = new Set(extra.map((h) => h.toLowerCase()));
  for (const rule of policy.rules) {
    for (const h of rule.hosts ?? []) hosts.add(h.kind === 'exact' ? h.host : `*${h.suffix}`);
  }
  return [...hosts];
}

/** Creates the session layer (sealers, redirect hosts from the policy in force) over the composition root's parts. */
export function createSessionModule(ctx: SessionContext): SessionLayer {
  const { config } = ctx;
  let cachedFor: CompiledPolicy | undefined;
  let cached: RedirectPolicy = { hosts: [], cookieDomain: config.cookie.domain };
  const deps: SessionDeps = {
    config,
    keycloak: ctx.keycloak,
    metrics: ctx.metrics,
    log: ctx.log,
    revocations: ctx.revocations,
    now: Date.now,
    sessions: new Sealer(config.sessionSecrets, 'session'),
    logins: new Sealer(config.sessionSecrets, 'login'),
    limits: { maxAgeMs: config.cookie.maxAgeSeconds * 1000, idleMs: config.cookie.idleTimeoutSeconds * 1000 },
    redirects: () => {
      const p = ctx.policy();
      if (p !== cachedFor) {
        cachedFor = p;
        cached = { hosts: redirectHosts(p, config.redirectHosts), cookieDomain: config.cookie.domain };
      }
      return cached;
    },
  };
  return createSessionLayer(deps);
}
