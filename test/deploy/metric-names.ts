/** The series keygate exports, read from createMetrics()'s registry, and a checker for PromQL that reads them. */
import assert from 'node:assert/strict';
import { createMetrics, type DecisionLabel } from '../../src/metrics/metrics.js';
import { readPromql } from './promql.js';

/** The decision label values; the compiler rejects a missing or an extra one (DecisionLabel in metrics.ts). */
const DECISIONS: Record<DecisionLabel, true> = { allow: true, deny: true, unauthenticated: true, bad_request: true, error: true };

/** Label values keygate sets, by metric and label, with the file whose code sets them. */
export const LABEL_VALUES: ReadonlyArray<{ metric: string; label: string; values: readonly string[]; source: string }> = [
  { metric: 'keygate_decisions_total', label: 'decision', values: Object.keys(DECISIONS), source: 'src/metrics/metrics.ts' },
  { metric: 'keygate_decision_duration_seconds', label: 'decision', values: Object.keys(DECISIONS), source: 'src/metrics/metrics.ts' },
  { metric: 'keygate_jwks_refreshes_total', label: 'result', values: ['success', 'failure'], source: 'src/identity/keycloak.ts' },
  { metric: 'keygate_policy_reloads_total', label: 'result', values: ['success', 'error'], source: 'src/service/policy-store.ts' },
];

/** Labels Prometheus attaches from the scrape target (ServiceMonitor defaults), valid on every series. */
const TARGET_LABELS = ['job', 'namespace', 'pod', 'instance', 'service', 'endpoint', 'container'];

/** One exported series name: the instrument it belongs to and the labels it carries. */
export interface Series {
  readonly instrument: string;
  readonly labels: ReadonlySet<string>;
}

function labelNamesOf(metric: object): string[] {
  return 'labelNames' in metric && Array.isArray(metric.labelNames) ? metric.labelNames.map(String) : [];
}

/** Every series name a fresh registry exposes (histograms as _bucket/_sum/_count), with its labels. */
export function exportedSeries(): Map<string, Series> {
  const out = new Map<string, Series>();
  for (const m of createMetrics().registry.getMetricsAsArray()) {
    const labels = labelNamesOf(m);
    const add = (name: string, extra: string[] = []): void => void out.set(name, { instrument: m.name, labels: new Set([...labels, ...extra]) });
    const type = 'type' in m ? String(m.type) : '';
    if (type === 'histogram') {
      add(`${m.name}_bucket`, ['le']);
      add(`${m.name}_sum`);
      add(`${m.name}_count`);
    } else if (type === 'summary') {
      add(m.name, ['quantile']);
      add(`${m.name}_sum`);
      add(`${m.name}_count`);
    } else add(m.name);
  }
  return out;
}

/** Asserts `expr` reads only keygate series that exist, with label names and values they can have. */
export function checkExpr(expr: string, where: string, series: ReadonlyMap<string, Series>): void {
  const reads = readPromql(expr);
  assert.ok(reads.selectors.length > 0, `${where}: reads no series`);
  const labelsInExpr = new Set(TARGET_LABELS);
  for (const sel of reads.selectors) {
    const s = series.get(sel.metric);
    assert.ok(s !== undefined, `${where}: ${sel.metric || '{…}'} is not a series keygate exports`);
    s.labels.forEach((l) => labelsInExpr.add(l));
    for (const m of sel.matchers) {
      assert.ok(s.labels.has(m.label) || TARGET_LABELS.includes(m.label), `${where}: ${sel.metric} has no label ${m.label}`);
      const known = LABEL_VALUES.find((v) => v.metric === s.instrument && v.label === m.label);
      if (known === undefined) continue;
      const values = m.op === '=~' || m.op === '!~' ? m.value.split('|') : [m.value];
      for (const v of values) assert.ok(known.values.includes(v), `${where}: ${sel.metric}{${m.label}} is never ${JSON.stringify(v)} (values: ${known.values.join(', ')})`);
    }
  }
  for (const l of reads.groupingLabels) assert.ok(labelsInExpr.has(l), `${where}: groups by ${l}, which none of its series carries`);
}
