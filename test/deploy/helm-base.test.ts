/**
 * The Helm chart's defaults, given the kustomize base's settings and policy, render what the base does: the same
 * Config for keygate, the same hardening, probes and rollout, and the same Service, PDB, HPA, NetworkPolicy,
 * ServiceMonitor, Middleware and alert rules (real helm 4).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { parse, stringify } from 'yaml';
import { tempDir } from '../support/proc.js';
import { CHART, FIXED, helmTemplate, podSpec, startsClean } from './helm-render.js';
import { at, find, records, type Manifest } from './kube-manifests.js';
import { only, podRuntime } from './kustomize-render.js';
import { record, ROOT, str } from './support.js';

const scratch = tempDir('keygate-helm-base-');
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('helm: the defaults match the kustomize base', () => {
  /** The chart with the base's settings and policy, as release keygate in namespace keygate (the base's names). */
  const baseLike = (t: TestContext): Manifest[] | undefined =>
    helmTemplate(t, [
      ...FIXED,
      '--set', 'config.audiences={prefect}',
      '--set', 'config.authorizedParties={keygate,prefect-cli}',
      '--values', basePolicyValues(),
      '--set', 'traefikMiddleware.enabled=true', '--set', 'serviceMonitor.enabled=true', '--set', 'prometheusRule.enabled=true',
    ]);
  const base = (kind: string): Record<string, unknown> => find(kind, 'keygate', 'keygate').body;
  const without = (value: unknown, ...keys: string[]): Record<string, unknown> => Object.fromEntries(Object.entries(record(value, 'spec')).filter(([k]) => !keys.includes(k)));

  it('keygate reads the same Config from the chart as from the base (same secrets)', (t) => {
    const docs = baseLike(t);
    if (docs === undefined) return;
    const stand: Record<string, string> = { 'client-secret': 'test-client-secret', 'session-secrets': 'test-session-secret-0123456789abcdefgh' };
    const fromBase = startsClean(podRuntime(manifestsOfBase(), (_s, key) => stand[key]), 'base');
    assert.deepEqual(startsClean(podRuntime(docs), 'chart'), fromBase);
  });

  it('the same container hardening, probes, resources, rollout, ports and volumes', (t) => {
    const docs = baseLike(t);
    if (docs === undefined) return;
    const chartPod = podSpec(docs);
    const basePod = record(at(base('Deployment'), 'spec', 'template', 'spec'), 'base pod');
    const c = records(chartPod['containers'], 'containers')[0] ?? {};
    const b = records(basePod['containers'], 'containers')[0] ?? {};
    for (const k of ['image', 'args', 'ports', 'livenessProbe', 'readinessProbe', 'lifecycle', 'resources', 'securityContext']) assert.deepEqual(c[k], b[k], `container ${k}`);
    for (const k of ['securityContext', 'automountServiceAccountToken', 'enableServiceLinks', 'terminationGracePeriodSeconds', 'serviceAccountName']) assert.deepEqual(chartPod[k], basePod[k], `pod ${k}`);
    assert.deepEqual(at(only(docs, 'Deployment').body, 'spec', 'strategy'), at(base('Deployment'), 'spec', 'strategy'));
    const vol = (pod: Record<string, unknown>, name: string): unknown => records(pod['volumes'], 'volumes').find((v) => v['name'] === name);
    assert.deepEqual(at(vol(chartPod, 'secrets'), 'secret', 'defaultMode'), 288);
    assert.deepEqual(vol(chartPod, 'tmp'), vol(basePod, 'tmp'));
    assert.deepEqual(
      records(chartPod['topologySpreadConstraints'], 'spread').map((s) => without(s, 'labelSelector')),
      records(basePod['topologySpreadConstraints'], 'spread').map((s) => without(s, 'labelSelector')),
    );
  });

  it('the same Service ports, PDB, HPA, NetworkPolicy rules, ServiceMonitor endpoints, Middleware and alert rules', (t) => {
    const docs = baseLike(t);
    if (docs === undefined) return;
    const spec = (kind: string): unknown => at(only(docs, kind).body, 'spec');
    assert.deepEqual(without(spec('Service'), 'selector'), without(at(base('Service'), 'spec'), 'selector'));
    assert.deepEqual(without(spec('PodDisruptionBudget'), 'selector'), without(at(base('PodDisruptionBudget'), 'spec'), 'selector'));
    assert.deepEqual(spec('HorizontalPodAutoscaler'), at(base('HorizontalPodAutoscaler'), 'spec'));
    assert.deepEqual(without(spec('NetworkPolicy'), 'podSelector'), without(at(base('NetworkPolicy'), 'spec'), 'podSelector'));
    assert.deepEqual(at(spec('ServiceMonitor'), 'endpoints'), at(base('ServiceMonitor'), 'spec', 'endpoints'));
    assert.deepEqual(spec('Middleware'), at(base('Middleware'), 'spec'));
    assert.deepEqual(spec('PrometheusRule'), at(base('PrometheusRule'), 'spec'));
  });

  it('files/prometheus-rules.yaml is the base PrometheusRule\'s spec.groups (one source: the chart reads it verbatim)', () => {
    const file = parse(readFileSync(join(ROOT, CHART, 'files/prometheus-rules.yaml'), 'utf8')) as unknown;
    assert.deepEqual(file, at(base('PrometheusRule'), 'spec'));
  });

  it('Chart.yaml appVersion is the package version, the base image tag', () => {
    const chart = record(parse(readFileSync(join(ROOT, CHART, 'Chart.yaml'), 'utf8')) as unknown, 'Chart.yaml');
    const pkg = record(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as unknown, 'package.json');
    assert.equal(chart['appVersion'], pkg['version']);
    const image = str(at(base('Deployment'), 'spec', 'template', 'spec', 'containers', 0, 'image'), 'base image');
    assert.equal(image.split(':').at(-1), pkg['version']);
  });
});


/** A values file holding the base's policy (--set would split it at commas). */
function basePolicyValues(): string {
  const file = join(scratch, 'base-policy.yaml');
  const policy = str(at(find('ConfigMap', 'keygate-policy', 'keygate').body, 'data', 'policy.yaml'), 'base policy');
  writeFileSync(file, stringify({ policy: { content: policy } }));
  return file;
}

/** The base's own manifests (source files), as the runtime helper wants them. */
function manifestsOfBase(): Manifest[] {
  return ['ConfigMap', 'Secret', 'Deployment'].flatMap((kind) => {
    const names = kind === 'ConfigMap' ? ['keygate-settings', 'keygate-policy'] : kind === 'Secret' ? ['keygate-secrets'] : ['keygate'];
    return names.map((n) => find(kind, n, 'keygate'));
  });
}
