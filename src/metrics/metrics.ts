/** The service's own Prometheus registry and instruments. No label ever carries a host, path, user or token. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BASIC_FAILURES } from '../identity/basic-credentials.js';
import type { DecisionReason } from '../policy/types.js';
import { droppedLogLines } from '../util/log-sink.js';

/** The decision label values. */
export type DecisionLabel = 'allow' | 'deny' | 'unauthenticated' | 'bad_request' | 'error';

/** All of keygate's instruments, on one Registry. */
export interface Metrics {
  readonly registry: Registry;
  /** Counts one decision and observes its duration (seconds). Children are cached: no per-call label hashing. */
  decision(decision: DecisionLabel, rule: string, reason: DecisionReason, seconds: number): void;
  /** Counts one bearer-token verification outcome (batched: added to keygate_token_verifications_total at scrape). */
  tokenVerified(via: 'jwt' | 'introspection' | 'session', result: 'valid' | 'invalid' | 'expired' | 'unavailable' | 'cached'): void;
  readonly jwksRefreshes: Counter<'result'>;
  readonly logins: Counter<'result'>;
  readonly sessionRefreshes: Counter<'result'>;
  readonly logouts: Counter<'kind'>;
  readonly policyReloads: Counter<'result'>;
  readonly policyRules: Gauge;
  readonly idpUp: Gauge;
  readonly untrustedPeerRequests: Counter;
  /** Basic client credentials that got no token (identity/basic-credentials), by reason. */
  readonly basicExchangeFailures: Counter<'reason'>;
  /** Finished trace spans that never reached the collector (telemetry/exporter), by reason. */
  readonly traceSpansDropped: Counter<'reason'>;
}

/** Histogram buckets from 50 µs to 1 s. */
export const DURATION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;

/** Creates a fresh Registry with every instrument (each test builds its own). */
export function createMetrics(options: { readonly defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'keygate_' });
  const registers = [registry];
  const decisions = new DecisionStats();
  registry.registerMetric(decisions.counter as never);
  registry.registerMetric(decisions.histogram as never);
  const decision = (d: DecisionLabel, rule: string, reason: DecisionReason, seconds: number): void => decisions.record(d, rule, reason, seconds);
  // Verification outcomes are counted as plain numbers (one per cached bearer answer: prom-client's labelled inc()
  // re-hashes its labels every call) and added to the counter when it is collected for a scrape.
  const pendingVerifications = new Map<string, Map<string, number>>();
  new Counter({
    name: 'keygate_token_verifications_total', help: 'Bearer token verifications by source and result.', labelNames: ['via', 'result'] as const, registers,
    collect() {
      for (const [via, byResult] of pendingVerifications) for (const [result, n] of byResult) this.inc({ via, result }, n);
      pendingVerifications.clear();
    },
  });
  // Log lines are counted where they are dropped (util/log-sink, process-wide) and added here at each scrape.
  let droppedSeen = 0;
  new Counter({
    name: 'keygate_log_lines_dropped_total', help: 'Log lines dropped: the log queue was full (stdout not read fast enough), stdout was gone, or it did not drain at exit.', registers,
    collect() {
      const now = droppedLogLines();
      this.inc(now - droppedSeen);
      droppedSeen = now;
    },
  });
  const m: Metrics = {
    registry,
    decision,
    tokenVerified: (via, result) => {
      let byResult = pendingVerifications.get(via);
      if (byResult === undefined) pendingVerifications.set(via, byResult = new Map());
      byResult.set(result, (byResult.get(result) ?? 0) + 1);
    },
    jwksRefreshes: new Counter({ name: 'keygate_jwks_refreshes_total', help: 'JWKS fetches by result.', labelNames: ['result'] as const, registers }),
    logins: new Counter({ name: 'keygate_logins_total', help: 'Completed or failed browser sign-ins.', labelNames: ['result'] as const, registers }),
    sessionRefreshes: new Counter({ name: 'keygate_session_refreshes_total', help: 'Session refreshes with the refresh token, by result.', labelNames: ['result'] as const, registers }),
    logouts: new Counter({ name: 'keygate_logouts_total', help: 'Logouts by kind (rp, backchannel).', labelNames: ['kind'] as const, registers }),
    policyReloads: new Counter({ name: 'keygate_policy_reloads_total', help: 'Policy file reloads by result.', labelNames: ['result'] as const, registers }),
    policyRules: new Gauge({ name: 'keygate_policy_rules', help: 'Rules in the policy in force.', registers }),
    idpUp: new Gauge({ name: 'keygate_idp_up', help: '1 when the last contact with the identity provider succeeded.', registers }),
    untrustedPeerRequests: new Counter({ name: 'keygate_untrusted_peer_requests_total', help: 'Forward-auth requests from peers outside trustedProxies.', registers }),
    basicExchangeFailures: new Counter({ name: 'keygate_basic_exchange_failures_total', help: 'Basic client credentials (basicClients) that got no token, by reason.', labelNames: ['reason'] as const, registers }),
    traceSpansDropped: new Counter({ name: 'keygate_trace_spans_dropped_total', help: 'Trace spans dropped before export (queue_full, export_failed); 0 while tracing is off.', labelNames: ['reason'] as const, registers }),
  };
  // Create every known labelled series at 0, so increase() and alerts see the first event too.
  for (const result of ['success', 'failure'] as const) m.jwksRefreshes.inc({ result }, 0);
  for (const result of ['success', 'error'] as const) m.policyReloads.inc({ result }, 0);
  for (const result of ['success', 'failure', 'error'] as const) {
    m.logins.inc({ result }, 0);
    m.sessionRefreshes.inc({ result }, 0);
  }
  for (const kind of ['rp', 'backchannel'] as const) m.logouts.inc({ kind }, 0);
  for (const reason of BASIC_FAILURES) m.basicExchangeFailures.inc({ reason }, 0);
  for (const reason of ['queue_full', 'export_failed'] as const) m.traceSpansDropped.inc({ reason }, 0);
  return m;
}

/** A scrape's worth of one metric, in the shape prom-client's Registry formats (what its own metrics' get() return). */
interface Exposition {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: ReadonlyArray<{ readonly metricName?: string; readonly labels: Readonly<Record<string, string | number>>; readonly value: number }>;
}

/** One labelled series of decision counts. */
interface Cell {
  readonly decision: DecisionLabel;
  readonly rule: string;
  readonly reason: DecisionReason;
  count: number;
}

/** Duration histogram of one decision label: counts per bucket (not cumulative; the last is +Inf), sum, count. */
interface Durations {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * keygate_decisions_total and keygate_decision_duration_seconds as plain numbers, turned into Prometheus samples
 * only at scrape time. prom-client's labelled children re-hash and re-validate their labels on every inc() and
 * observe(), about 0.6 µs of each forward-auth answer (issue #5, warm-bearer profile); here recording is two
 * Map lookups on strings whose hashes V8 already holds, and a bucket search. Registered on the Registry as
 * custom metrics (name, help, type and get(), which is all Registry#metrics() reads).
 */
class DecisionStats {
  readonly #cells = new Map<DecisionLabel, Map<string, Map<DecisionReason, Cell>>>();
  readonly #durations = new Map<DecisionLabel, Durations>();

  record(decision: DecisionLabel, rule: string, reason: DecisionReason, seconds: number): void {
    let byRule = this.#cells.get(decision);
    if (byRule === undefined) this.#cells.set(decision, byRule = new Map());
    let byReason = byRule.get(rule);
    if (byReason === undefined) byRule.set(rule, byReason = new Map());
    const cell = byReason.get(reason);
    if (cell === undefined) byReason.set(reason, { decision, rule, reason, count: 1 });
    else cell.count++;
    let h = this.#durations.get(decision);
    if (h === undefined) this.#durations.set(decision, h = { buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0 });
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] as number)) i++;
    (h.buckets[i] as number)++;
    h.sum += seconds;
    h.count++;
  }

  readonly counter = {
    name: 'keygate_decisions_total',
    help: 'Forward-auth decisions by decision, rule and reason.',
    labelNames: ['decision', 'rule', 'reason'] as const,
    type: 'counter' as const,
    aggregator: 'sum' as const,
    get: (): Promise<Exposition> => {
      const values: Exposition['values'][number][] = [];
      for (const byRule of this.#cells.values()) {
        for (const byReason of byRule.values()) {
          for (const c of byReason.values()) values.push({ labels: { decision: c.decision, rule: c.rule, reason: c.reason }, value: c.count });
        }
      }
      return Promise.resolve({ name: this.counter.name, help: this.counter.help, type: 'counter', aggregator: 'sum', values });
    },
    reset: (): void => {
      this.#cells.clear();
    },
  };

  readonly histogram = {
    name: 'keygate_decision_duration_seconds',
    help: 'Time to decide one forward-auth subrequest.',
    labelNames: ['decision'] as const,
    type: 'histogram' as const,
    aggregator: 'sum' as const,
    get: (): Promise<Exposition> => {
      const name = this.histogram.name;
      const values: Exposition['values'][number][] = [];
      for (const [decision, h] of this.#durations) {
        let cumulative = 0;
        DURATION_BUCKETS.forEach((le, i) => {
          cumulative += h.buckets[i] as number;
          values.push({ metricName: `${name}_bucket`, labels: { le, decision }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', decision }, value: h.count });
        values.push({ metricName: `${name}_sum`, labels: { decision }, value: h.sum });
        values.push({ metricName: `${name}_count`, labels: { decision }, value: h.count });
      }
      return Promise.resolve({ name, help: this.histogram.help, type: 'histogram', aggregator: 'sum', values });
    },
    reset: (): void => {
      this.#durations.clear();
    },
  };
}
