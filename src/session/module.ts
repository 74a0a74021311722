/** Builds the browser sign-in layer from the composition root's context. */
import type { SessionContext, SessionModule } from '../main.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { SessionDeps } from './deps.js';
import { createSessionLayer } from './layer.js';
import type { RedirectPolicy } from './redirects.js';
import { createRevocationStore } from './redis-revocation.js';
import { Sealer } from './seal.js';

/** Hosts named by the policy's rules (exact and `*.` wildcards) plus `redirectHosts`: where redirects may go. */
export function redirectHosts(policy: CompiledPolicy, extra: readonly string[]): string[] {
  const hosts = new Set(extra.map((h) => h.toLowerCase()));
  for (const rule of policy.rules) {
    for (const h of rule.hosts ?? []) hosts.add(h.kind === 'exact' ? h.host : `*${h.suffix}`);
  }
  return [...hosts];
}

/** Creates the session layer and its revocation store (memory, or Redis with KEYGATE_REDIS_URL). */
export async function createSessionModule(ctx: SessionContext): Promise<SessionModule> {
  const { config } = ctx;
  const revocations = await createRevocationStore(config.redisUrl, { log: ctx.log, bounds: config.redis });
  let cachedFor: CompiledPolicy | undefined;
  let cached: RedirectPolicy = { hosts: [], cookieDomain: config.cookie.domain };
  const deps: SessionDeps = {
    config,
    keycloak: ctx.keycloak,
    metrics: ctx.metrics,
    log: ctx.log,
    revocations,
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
  return {
    layer: createSessionLayer(deps),
    isRevoked: (sid) => revocations.isRevoked(sid, '', Number.POSITIVE_INFINITY),
    close: () => revocations.close(),
  };
}
