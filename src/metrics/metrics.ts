/** The service's own Prometheus registry and instruments. No label ever carries a host, path, user or token. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DecisionReason } from '../policy/types.js';

/** The decision label values. */
export type DecisionLabel = 'allow' | 'deny' | 'unauthenticated' | 'bad_request' | 'error';

/** All of keygate's instruments, on one Registry. */
export interface Metrics {
  readonly registry: Registry;
  /** Counts one decision and observes its duration (seconds). Children are cached: no per-call label hashing. */
  decision(decision: DecisionLabel, rule: string, reason: DecisionReason, seconds: number): void;
  readonly tokenVerifications: Counter<'via' | 'result'>;
  readonly jwksRefreshes: Counter<'result'>;
  readonly logins: Counter<'result'>;
  readonly sessionRefreshes: Counter<'result'>;
  readonly logouts: Counter<'kind'>;
  readonly policyReloads: Counter<'result'>;
  readonly policyRules: Gauge;
  readonly idpUp: Gauge;
  readonly untrustedPeerRequests: Counter;
}

/** Histogram buckets from 50 µs to 1 s. */
export const DURATION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;

/** Creates a fresh Registry with every instrument (each test builds its own). */
export function createMetrics(options: { readonly defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'keygate_' });
  const registers = [registry];
  const decisions = new Counter({ name: 'keygate_decisions_total', help: 'Forward-auth decisions by decision, rule and reason.', labelNames: ['decision', 'rule', 'reason'] as const, registers });
  const duration = new Histogram({ name: 'keygate_decision_duration_seconds', help: 'Time to decide one forward-auth subrequest.', labelNames: ['decision'] as const, buckets: [...DURATION_BUCKETS], registers });
  const counterChildren = new Map<string, { inc(): void }>();
  const histogramChildren = new Map<string, { observe(v: number): void }>();
  const decision = (d: DecisionLabel, rule: string, reason: DecisionReason, seconds: number): void => {
    const key = `${d}\u0000${rule}\u0000${reason}`;
    let c = counterChildren.get(key);
    if (c === undefined) {
      c = decisions.labels(d, rule, reason);
      counterChildren.set(key, c);
    }
    c.inc();
    let h = histogramChildren.get(d);
    if (h === undefined) {
      h = duration.labels(d);
      histogramChildren.set(d, h);
    }
    h.observe(seconds);
  };
  const m: Metrics = {
    registry,
    decision,
    tokenVerifications: new Counter({ name: 'keygate_token_verifications_total', help: 'Bearer token verifications by source and result.', labelNames: ['via', 'result'] as const, registers }),
    jwksRefreshes: new Counter({ name: 'keygate_jwks_refreshes_total', help: 'JWKS fetches by result.', labelNames: ['result'] as const, registers }),
    logins: new Counter({ name: 'keygate_logins_total', help: 'Completed or failed browser sign-ins.', labelNames: ['result'] as const, registers }),
    sessionRefreshes: new Counter({ name: 'keygate_session_refreshes_total', help: 'Session refreshes with the refresh token, by result.', labelNames: ['result'] as const, registers }),
    logouts: new Counter({ name: 'keygate_logouts_total', help: 'Logouts by kind (rp, backchannel).', labelNames: ['kind'] as const, registers }),
    policyReloads: new Counter({ name: 'keygate_policy_reloads_total', help: 'Policy file reloads by result.', labelNames: ['result'] as const, registers }),
    policyRules: new Gauge({ name: 'keygate_policy_rules', help: 'Rules in the policy in force.', registers }),
    idpUp: new Gauge({ name: 'keygate_idp_up', help: '1 when the last contact with the identity provider succeeded.', registers }),
    untrustedPeerRequests: new Counter({ name: 'keygate_untrusted_peer_requests_total', help: 'Forward-auth requests from peers outside trustedProxies.', registers }),
  };
  // Create every known labelled series at 0, so increase() and alerts see the first event too.
  for (const result of ['success', 'failure'] as const) m.jwksRefreshes.inc({ result }, 0);
  for (const result of ['success', 'error'] as const) m.policyReloads.inc({ result }, 0);
  for (const result of ['success', 'failure', 'error'] as const) {
    m.logins.inc({ result }, 0);
    m.sessionRefreshes.inc({ result }, 0);
  }
  for (const kind of ['rp', 'backchannel'] as const) m.logouts.inc({ kind }, 0);
  return m;
}
