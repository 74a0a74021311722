import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { at, find, records } from './kube-manifests.js';
import { checkExpr, exportedSeries, LABEL_VALUES } from './metric-names.js';
import { readPromql, type Reads } from './promql.js';
import { assertValid, draft07Validator, isRecord, record, requireSchema, ROOT, str, yamlDocument } from './support.js';

const DASHBOARD = 'deploy/grafana/keygate-dashboard.json';
/** promtool unit tests of the PrometheusRule, run by test/e2e/real/prometheus-rules.test.ts. */
const PROMTOOL_TESTS = 'test/deploy/promtool/prometheusrule.test.yml';

/** Keywords that mean the same in draft-04 and draft-07 (JSON Schema draft-06 release notes list the changes). */
const SAME_IN_DRAFT07 = new Set(['type', 'properties', 'patternProperties', 'additionalProperties', 'items', 'required', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems', 'pattern', 'format', 'description', 'title', 'default', '$ref', 'definitions', 'anyOf', 'oneOf', 'allOf', 'not']);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions']);

/**
 * SchemaStore's Grafana schema is draft-04, which Ajv 8 does not read. It is used as draft-07 after checking
 * that it holds only keywords whose meaning did not change (any other keyword fails the test, never silently
 * misvalidates), with the root's draft-04 `id` renamed `$id`.
 */
function draft04AsDraft07(schema: unknown): Record<string, unknown> {
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
    if (!isRecord(node)) return;
    for (const [k, v] of Object.entries(node)) {
      assert.ok(SAME_IN_DRAFT07.has(k) || (path === '' && (k === 'id' || k === '$schema')), `grafana schema ${path || '/'}: keyword ${k} differs between draft-04 and draft-07; validate it another way`);
      if (SCHEMA_MAPS.has(k) && isRecord(v)) for (const [p, s] of Object.entries(v)) walk(s, `${path}/${k}/${p}`);
      else if (['items', 'anyOf', 'oneOf', 'allOf', 'not', 'additionalProperties'].includes(k)) walk(v, `${path}/${k}`);
    }
  };
  walk(schema, '');
  const { id, $schema: _draft04, ...rest } = record(schema, 'grafana schema');
  return { ...rest, $id: id };
}

function dashboard(): Record<string, unknown> {
  return record(JSON.parse(readFileSync(join(ROOT, DASHBOARD), 'utf8')), DASHBOARD);
}

/** Every query of the dashboard, with the panel it belongs to. */
function dashboardTargets(): Array<{ panel: Record<string, unknown>; target: Record<string, unknown>; where: string }> {
  return records(dashboard()['panels'], 'panels')
    .filter((p) => p['type'] !== 'row')
    .flatMap((panel) => records(panel['targets'], `panel ${String(panel['title'])} targets`).map((target) => ({ panel, target, where: `${DASHBOARD} "${String(panel['title'])}" ${String(target['refId'])}` })));
}

function alertingRules(): Array<Record<string, unknown>> {
  const spec = at(find('PrometheusRule', 'keygate', 'keygate').body, 'spec');
  return records(at(spec, 'groups'), 'groups').flatMap((g) => records(g['rules'], 'rules')).filter((r) => r['alert'] !== undefined);
}

/** True when `reads` selects `metric`, with `label` matching `value` exactly when given. */
function selects(reads: Reads, metric: string, label?: string, value?: string): boolean {
  return reads.selectors.some((s) => s.metric === metric && (label === undefined || s.matchers.some((m) => m.label === label && m.op === '=' && m.value === value)));
}

describe('observability: metric names', () => {
  it('the label values the checks know are the ones the code sets', () => {
    for (const { values, source } of LABEL_VALUES) {
      const code = readFileSync(join(ROOT, source), 'utf8');
      for (const v of values) assert.ok(code.includes(`'${v}'`), `${source} never sets '${v}'`);
    }
  });

  it('the reader finds selectors, matchers and grouping labels', () => {
    const r = readPromql('sum by (job) (rate(keygate_decisions_total{decision=~"deny|error", rule!="x"}[5m])) / on(job) keygate_idp_up offset 5m > 0.1');
    assert.deepEqual(r.selectors.map((s) => s.metric), ['keygate_decisions_total', 'keygate_idp_up']);
    assert.deepEqual(r.selectors[0]?.matchers, [{ label: 'decision', op: '=~', value: 'deny|error' }, { label: 'rule', op: '!=', value: 'x' }]);
    assert.deepEqual(r.groupingLabels, ['job', 'job']);
  });

  it('the checker refuses unknown series, labels and label values', () => {
    const series = exportedSeries();
    assert.throws(() => checkExpr('rate(keygate_decision_total[5m])', 't', series), /not a series keygate exports/);
    assert.throws(() => checkExpr('keygate_jwks_refreshes_total{result="error"}', 't', series), /never "error"/);
    assert.throws(() => checkExpr('sum by (reason) (keygate_jwks_refreshes_total)', 't', series), /groups by reason/);
    assert.throws(() => checkExpr('keygate_idp_up{decision="deny"}', 't', series), /has no label decision/);
    checkExpr('histogram_quantile(0.9, sum by (le) (rate(keygate_decision_duration_seconds_bucket{decision="allow"}[5m])))', 't', series);
  });
});

describe('observability: PrometheusRule', () => {
  it('spec matches the Prometheus rules schema', (t) => {
    const schema = requireSchema(t, 'prometheus.rules.json');
    if (schema === undefined) return;
    assertValid(draft07Validator('prometheus.rules.json', schema), at(find('PrometheusRule', 'keygate', 'keygate').body, 'spec'), 'PrometheusRule spec');
  });

  it('every expression reads only series, labels and label values keygate exports', () => {
    const series = exportedSeries();
    for (const rule of alertingRules()) checkExpr(str(rule['expr'], 'expr'), `alert ${String(rule['alert'])}`, series);
  });

  it('alerts on denials, errors, JWKS refresh failures, the identity provider and policy reloads', () => {
    const reads = alertingRules().map((r) => ({ name: String(r['alert']), expr: str(r['expr'], 'expr'), reads: readPromql(str(r['expr'], 'expr')) }));
    const wanted: Array<[string, (r: (typeof reads)[number]) => boolean]> = [
      ['deny rate', (r) => selects(r.reads, 'keygate_decisions_total', 'decision', 'deny')],
      ['error rate', (r) => selects(r.reads, 'keygate_decisions_total', 'decision', 'error')],
      ['JWKS refresh failures', (r) => selects(r.reads, 'keygate_jwks_refreshes_total', 'result', 'failure')],
      ['identity provider down', (r) => /^\s*keygate_idp_up\s*==\s*0\s*$/.test(r.expr)],
      ['policy reload failures', (r) => selects(r.reads, 'keygate_policy_reloads_total', 'result', 'error')],
    ];
    for (const [what, test] of wanted) assert.ok(reads.some(test), `no alert for ${what}`);
    assert.equal(new Set(reads.map((r) => r.name)).size, reads.length, 'alert names are unique');
    for (const rule of alertingRules()) {
      assert.ok(['warning', 'critical'].includes(String(at(rule, 'labels', 'severity'))), `${String(rule['alert'])}: severity`);
      assert.equal(typeof at(rule, 'annotations', 'summary'), 'string', `${String(rule['alert'])}: summary`);
    }
  });
});

describe('observability: promtool unit tests of the PrometheusRule', () => {
  // Runs without promtool, so that an alert added without a unit test fails `npm test` on any machine.
  it('every alert has a case in which it fires, with its severity, and one in which it stays quiet', () => {
    const cases = records(at(yamlDocument(PROMTOOL_TESTS), 'tests'), 'tests').flatMap((t) => records(t['alert_rule_test'], `${String(t['name'])} alert_rule_test`));
    for (const rule of alertingRules()) {
      const name = String(rule['alert']);
      const mine = cases.filter((c) => c['alertname'] === name);
      const firing = mine.flatMap((c) => records(c['exp_alerts'], `${name} exp_alerts`));
      assert.ok(firing.length > 0, `${PROMTOOL_TESTS}: no case in which ${name} fires`);
      for (const a of firing) assert.equal(at(a, 'exp_labels', 'severity'), at(rule, 'labels', 'severity'), `${name}: severity`);
      assert.ok(mine.some((c) => records(c['exp_alerts'], 'exp_alerts').length === 0), `${PROMTOOL_TESTS}: no case in which ${name} stays quiet`);
    }
  });
});

describe('observability: Grafana dashboard', () => {
  it('matches the Grafana dashboard schema (as the dashboard of an import request)', (t) => {
    const schema = requireSchema(t, 'grafana-dashboard-5.x.json');
    if (schema === undefined) return;
    // The schema describes the HTTP API's envelope ({dashboard, overwrite}); the file is the dashboard itself,
    // which is what provisioning and the import UI read.
    assertValid(draft07Validator('grafana-dashboard-5.x.json', draft04AsDraft07(schema)), { dashboard: dashboard(), overwrite: true }, DASHBOARD);
  });

  it('queries a templated Prometheus data source everywhere', () => {
    const vars = records(at(dashboard(), 'templating', 'list'), 'templating.list').filter((v) => v['type'] === 'datasource' && v['query'] === 'prometheus');
    assert.equal(vars.length, 1, 'one Prometheus data source variable');
    const ref = { type: 'prometheus', uid: `\${${str(vars[0]?.['name'], 'variable name')}}` };
    for (const { panel, target, where } of dashboardTargets()) {
      assert.deepEqual(panel['datasource'], ref, `${where}: panel data source`);
      assert.deepEqual(target['datasource'], ref, `${where}: query data source`);
    }
  });

  it('every query reads only series, labels and label values keygate exports', () => {
    const series = exportedSeries();
    const targets = dashboardTargets();
    assert.ok(targets.length > 0);
    for (const { target, where } of targets) checkExpr(str(target['expr'], `${where} expr`), where, series);
  });

  it('shows decisions by decision and rule, latency p50/p95/p99, logins, refreshes, reloads, IdP up, untrusted peers', () => {
    const exprs = dashboardTargets().map(({ target }) => str(target['expr'], 'expr'));
    const reads = exprs.map(readPromql);
    const grouped = (metric: string, label: string): boolean => reads.some((r) => selects(r, metric) && r.groupingLabels.includes(label));
    assert.ok(grouped('keygate_decisions_total', 'decision'), 'decisions by decision');
    assert.ok(grouped('keygate_decisions_total', 'rule'), 'decisions by rule');
    for (const q of ['0.50', '0.95', '0.99']) {
      assert.ok(exprs.some((e) => e.includes(`histogram_quantile(${q},`) && e.includes('keygate_decision_duration_seconds_bucket')), `latency p${q.slice(2)}`);
    }
    for (const m of ['keygate_logins_total', 'keygate_session_refreshes_total', 'keygate_policy_reloads_total', 'keygate_idp_up', 'keygate_untrusted_peer_requests_total']) {
      assert.ok(reads.some((r) => selects(r, m)), `a panel for ${m}`);
    }
  });

  it('lays panels out on the 24-column grid with unique ids', () => {
    const panels = records(dashboard()['panels'], 'panels');
    assert.equal(new Set(panels.map((p) => p['id'])).size, panels.length, 'panel ids are unique');
    for (const p of panels) {
      const x = Number(at(p, 'gridPos', 'x'));
      const w = Number(at(p, 'gridPos', 'w'));
      assert.ok(x >= 0 && w >= 1 && x + w <= 24, `panel ${String(p['title'])} overflows the grid`);
    }
  });
});
