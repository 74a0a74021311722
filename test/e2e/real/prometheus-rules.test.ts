/**
 * The shipped PrometheusRule through the real promtool (Prometheus 3.x, scripts/versions.env): `check rules` on its
 * spec.groups, and `promtool test rules` with test/deploy/promtool/prometheusrule.test.yml, whose input series are
 * checked against a /metrics scrape of a running keygate so that every alert is shown to fire on what keygate
 * really exports.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPair } from 'jose';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parse, stringify } from 'yaml';
import { startTestIdp } from '../../support/idp.js';
import { startKeygate } from '../../support/keygate.js';
import { tempDir } from '../../support/proc.js';
import { ROOT } from '../../support/proxies.js';
import { requireReal } from '../../support/real-systems.js';
import { eventually } from '../../support/wait.js';

const RULE_FILE = 'deploy/kubernetes/base/prometheusrule.yaml';
const UNIT_TESTS = 'test/deploy/promtool/prometheusrule.test.yml';
/** The name the unit-test file gives its rule file (rule_files), resolved beside it. */
const RULES_NAME = 'prometheusrule.rules.yml';
/** Labels the scrape adds (ServiceMonitor target labels); every other label must be one keygate sets. */
const TARGET_LABELS = new Set(['namespace', 'job', 'pod', 'instance']);

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const recs = (v: unknown, what: string): Rec[] => {
  assert.ok(Array.isArray(v) && v.every(isRec), `${what}: a list of mappings`);
  return v;
};

/** The PrometheusRule's spec.groups, as a plain Prometheus rule file. */
function ruleGroups(): Rec[] {
  const doc: unknown = parse(readFileSync(join(ROOT, RULE_FILE), 'utf8'));
  assert.ok(isRec(doc) && doc['kind'] === 'PrometheusRule' && isRec(doc['spec']), `${RULE_FILE}: a PrometheusRule with a spec`);
  return recs(doc['spec']['groups'], `${RULE_FILE} spec.groups`);
}

function alertNames(groups: readonly Rec[]): string[] {
  return groups.flatMap((g) => recs(g['rules'], 'rules')).map((r) => r['alert']).filter((a): a is string => typeof a === 'string');
}

/** A temp dir holding the unit tests and `groups` as their rule file. */
function workspace(groups: readonly Rec[]): string {
  const dir = tempDir('keygate-promtool-');
  writeFileSync(join(dir, RULES_NAME), stringify({ groups }));
  copyFileSync(join(ROOT, UNIT_TESTS), join(dir, 'prometheusrule.test.yml'));
  return dir;
}

/** Runs promtool to completion (bounded), returning its exit status and output. */
function promtool(bin: string, args: readonly string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A series as `name{label="value",…}` without target labels, labels sorted: the key both sides are compared on. */
function seriesKey(name: string, labels: ReadonlyArray<[string, string]>): string {
  const own = labels.filter(([k]) => !TARGET_LABELS.has(k)).sort(([a], [b]) => a.localeCompare(b));
  return `${name}{${own.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}

function parseSeries(text: string): { name: string; labels: Array<[string, string]> } | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?(?:\s|$)/.exec(text.trim());
  if (m === null || m[1] === undefined) return undefined;
  const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x): [string, string] => [x[1] ?? '', x[2] ?? '']);
  return { name: m[1], labels };
}

/** Every series key in a Prometheus text exposition. */
function exposedSeries(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const s = parseSeries(line);
    if (s !== undefined) out.add(seriesKey(s.name, s.labels));
  }
  return out;
}

/** Input series of the unit tests, with the test they belong to. */
function unitTestSeries(): Array<{ test: string; series: string }> {
  const doc: unknown = parse(readFileSync(join(ROOT, UNIT_TESTS), 'utf8'));
  assert.ok(isRec(doc));
  return recs(doc['tests'], 'tests').flatMap((t) => recs(t['input_series'], `${String(t['name'])} input_series`).map((s) => ({ test: String(t['name']), series: String(s['series']) })));
}

const POLICY = `version: 1
default: deny
rules:
  - name: flows-write
    paths: ["/api/flows/**"]
    methods: [POST]
    allow: { anyRole: [engineer] }
  - name: api-read
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
`;

/**
 * A running keygate's /metrics after the events the unit tests model: allow, deny by rule and by default,
 * a refused policy reload, and Keycloak going away while a token with a new key arrives (error, JWKS failure,
 * keygate_idp_up 0).
 */
async function scrapeAfterEvents(): Promise<string> {
  const idp = await startTestIdp();
  const kg = await startKeygate(idp.issuer, POLICY);
  try {
    const alice = await idp.mintAccessToken({}, { user: 'alice' });
    const call = async (method: string, uri: string, token: string | undefined, want: number): Promise<void> => {
      const res = await kg.auth(method, 'prefect.example.com', uri, { accept: 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) });
      assert.equal(res.status, want, `${method} ${uri}`);
      await res.arrayBuffer();
    };
    await call('GET', '/api/flows', alice, 200);
    await call('POST', '/api/flows/abc', alice, 403);
    await call('GET', '/elsewhere', alice, 403);
    writeFileSync(kg.policyFile, 'version: 1\nrules: [\n');
    assert.ok(await eventually(async () => /keygate_policy_reloads_total\{result="error"\} 1/.test(await kg.metrics()), 10_000), 'the broken policy was not refused');
    const { privateKey } = await generateKeyPair('RS256');
    const rotated = await idp.mintAccessToken({}, { user: 'alice', key: privateKey, kid: 'rotated-key' });
    await idp.close();
    await call('GET', '/api/flows', rotated, 503);
    return await kg.metrics();
  } finally {
    await kg.close();
    await idp.close().catch(() => undefined);
  }
}

describe('real promtool on the shipped PrometheusRule', () => {
  const bin = (t: TestContext): string | undefined => requireReal(t, 'promtool');

  it('promtool check rules passes on its spec.groups', (t) => {
    const p = bin(t);
    if (p === undefined) return;
    const groups = ruleGroups();
    const dir = workspace(groups);
    const r = promtool(p, ['check', 'rules', RULES_NAME], dir);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${groups.flatMap((g) => recs(g['rules'], 'rules')).length} rules found`));
  });

  it('promtool test rules passes', (t) => {
    const p = bin(t);
    if (p === undefined) return;
    const groups = ruleGroups();
    const r = promtool(p, ['test', 'rules', 'prometheusrule.test.yml'], workspace(groups));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it('each alert\'s unit test fails when that alert can never fire', (t) => {
    const p = bin(t);
    if (p === undefined) return;
    // The tests bite: an alert whose expression never returns a series fails its firing test
    // (test/deploy/observability.test.ts checks, without promtool, that every alert has one).
    const alerts = alertNames(ruleGroups());
    assert.ok(alerts.length >= 6, `alerts: ${alerts.join(', ')}`);
    for (const alert of alerts) {
      const broken = ruleGroups().map((g) => ({ ...g, rules: recs(g['rules'], 'rules').map((r) => (r['alert'] === alert ? { ...r, expr: 'vector(1) == 0' } : r)) }));
      const r = promtool(p, ['test', 'rules', 'prometheusrule.test.yml'], workspace(broken));
      assert.notEqual(r.status, 0, `${alert} never fires, yet promtool test rules passed`);
      assert.match(r.out, new RegExp(`alertname: ${alert},`), r.out);
    }
  });

  it('every input series of the unit tests is one a running keygate exports, with the label values it sets', async () => {
    const exposed = exposedSeries(await scrapeAfterEvents());
    const inputs = unitTestSeries();
    assert.ok(inputs.length > 0);
    for (const { test, series } of inputs) {
      const s = parseSeries(series);
      assert.ok(s !== undefined, `${test}: cannot read ${series}`);
      const key = seriesKey(s.name, s.labels);
      assert.ok(exposed.has(key), `${test}: ${key} is not a series keygate exports; a real scrape has:\n${[...exposed].filter((k) => k.startsWith(s.name)).join('\n')}`);
    }
  });
});
