/**
 * deploy/helm/keygate with a real helm 4: lint and template with the default values and with ci/full-values.yaml,
 * every rendered object schema-validated, the rendered config and environment through validateConfig, the
 * policy through loadPolicy, and every KEYGATE_* setting reachable from values (helm-base.test.ts: the defaults
 * match the kustomize base).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { KEYS, type KeySpec } from '../../src/config/keys.js';
import { validateConfig } from '../../src/config/validate.js';
import { loadPolicy } from '../../src/policy/load.js';
import { formatProblem } from '../../src/util/problems.js';
import { at, records, selects, type Manifest } from './kube-manifests.js';
import { crdValidators, validateCustomResource, validateManifest } from './kube-schemas.js';
import { only, podRuntime, type PodRuntime } from './kustomize-render.js';
import { CHART_MANAGED, expectedConfigProperties, FIXED, FULL_VALUES, helmLint, helmTemplate, helmTemplateError, podSpec, startsClean, valuesConfigSchema } from './helm-render.js';
import { assertHeaderSet, assertSessionCookies, isRecord, list, record, requireSchema, ROOT, str } from './support.js';

const FULL = ['--values', join(ROOT, FULL_VALUES)];

function validateAll(t: TestContext, docs: readonly Manifest[]): void {
  for (const d of docs) validateManifest(d.body, d.where);
  const traefik = docs.filter((d) => String(d.body['apiVersion']).startsWith('traefik.io/'));
  if (traefik.length === 0) return;
  const text = requireSchema(t, 'traefik-crds-v1.yml');
  if (typeof text !== 'string') return;
  const validators = crdValidators(text);
  for (const d of traefik) validateCustomResource(validators, d.body, d.where);
}

function policyLoads(rt: PodRuntime, file: string): void {
  const r = loadPolicy(rt.readFile(file), file);
  assert.deepEqual([...r.errors, ...r.warnings].map(formatProblem), [], file);
  assert.ok(r.value !== undefined);
}

/** The value at a KEYS path in a parsed config file. */
function atPath(doc: unknown, spec: KeySpec): unknown {
  return at(doc, ...spec.path);
}

describe('helm: lint and template', () => {
  it('helm lint --strict passes with the default values and with ci/full-values.yaml', (t) => {
    for (const args of [[], FULL]) {
      const out = helmLint(t, args);
      if (out === undefined) return;
      assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(out, /\[(WARNING|ERROR)\]/, out);
    }
  });

  for (const [name, args, kinds] of [
    ['default values', [], ['ConfigMap', 'ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service', 'ServiceAccount']],
    ['ci/full-values.yaml', FULL, ['ConfigMap', 'ConfigMap', 'Deployment', 'Middleware', 'NetworkPolicy', 'PodDisruptionBudget', 'PrometheusRule', 'Secret', 'Service', 'ServiceAccount', 'ServiceMonitor']],
  ] as const) {
    it(`helm template with ${name}: the expected objects, each matching the schema of its kind`, (t) => {
      const docs = helmTemplate(t, args, 'kg', 'auth');
      if (docs === undefined) return;
      assert.deepEqual(docs.map((d) => d.kind).sort(), [...kinds]);
      validateAll(t, docs);
      for (const d of docs) assert.equal(d.namespace, 'auth', `${d.where}: in the release namespace`);
    });
  }

  it('the Service, PDB, HPA, NetworkPolicy and ServiceMonitor select the pods; ports line up by name', (t) => {
    for (const args of [[], FULL]) {
      const docs = helmTemplate(t, [...args, '--set', 'serviceMonitor.enabled=true'], 'kg', 'auth');
      if (docs === undefined) return;
      const labels = at(only(docs, 'Deployment').body, 'spec', 'template', 'metadata', 'labels');
      const container = records(podSpec(docs)['containers'], 'containers')[0] ?? {};
      const containerPorts = new Set(records(container['ports'], 'ports').map((p) => p['name']));
      const svc = only(docs, 'Service');
      assert.ok(selects(at(svc.body, 'spec', 'selector'), labels), 'Service selector');
      for (const p of records(at(svc.body, 'spec', 'ports'), 'ports')) assert.ok(containerPorts.has(p['targetPort']), `targetPort ${String(p['targetPort'])}`);
      assert.ok(selects(at(only(docs, 'PodDisruptionBudget').body, 'spec', 'selector'), labels), 'PDB selector');
      assert.ok(selects(at(only(docs, 'NetworkPolicy').body, 'spec', 'podSelector'), labels), 'NetworkPolicy podSelector');
      for (const rule of records(at(only(docs, 'NetworkPolicy').body, 'spec', 'ingress'), 'ingress')) {
        for (const p of records(rule['ports'], 'ports')) assert.ok(containerPorts.has(p['port']), `NetworkPolicy port ${String(p['port'])}`);
      }
      const sm = only(docs, 'ServiceMonitor');
      assert.ok(selects(at(sm.body, 'spec', 'selector'), at(svc.body, 'metadata', 'labels')), 'ServiceMonitor selector');
      const hpa = docs.filter((d) => d.kind === 'HorizontalPodAutoscaler');
      for (const h of hpa) assert.equal(at(h.body, 'spec', 'scaleTargetRef', 'name'), only(docs, 'Deployment').name);
      assert.equal(at(only(docs, 'Deployment').body, 'spec', 'replicas'), hpa.length > 0 ? undefined : 3, 'replicas is left to the HPA when it is on');
    }
  });
});

describe('helm: keygate starts with the rendered settings', () => {
  it('full values: config.yaml, env and Secret files pass validateConfig with no errors or warnings; the policy loads', (t) => {
    const docs = helmTemplate(t, FULL, 'kg', 'auth');
    if (docs === undefined) return;
    const rt = podRuntime(docs);
    const config = startsClean(rt, FULL_VALUES);
    policyLoads(rt, config.policyFile);
    assert.equal(config.redisUrl, 'rediss://redis.auth.svc.cluster.local:6380/0', 'the Redis URL from the Secret file');
    assert.deepEqual(config.sessionSecrets.length, 2);
    for (const v of ['KEYGATE_CLIENT_SECRET', 'KEYGATE_SESSION_SECRETS', 'KEYGATE_REDIS_URL']) {
      assert.equal(rt.env[v], undefined, `${v} must come from a file`);
      assert.ok(rt.env[`${v}_FILE`] !== undefined, `${v}_FILE`);
    }
    const ports = new Map(records(rt.container['ports'], 'ports').map((p) => [p['name'], p['containerPort']]));
    assert.deepEqual([ports.get('http'), ports.get('metrics')], [config.port, config.metricsPort], 'container ports follow config.port and config.metricsPort');
  });

  it('default values: the only problem is the empty client secret, which keygate refuses (and NOTES.txt warns about)', (t) => {
    const docs = helmTemplate(t);
    if (docs === undefined) return;
    const r = validateConfig(podRuntime(docs));
    const problems = r.errors.map(formatProblem);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0] ?? '', /^\$KEYGATE_CLIENT_SECRET_FILE/);
    const rt = podRuntime(helmTemplate(t, FIXED) ?? []);
    policyLoads(rt, startsClean(rt, 'default values with a client secret').policyFile);
  });

  it('default values generate a session secret of 64 characters that keygate accepts', (t) => {
    const docs = helmTemplate(t, ['--set', 'secret.clientSecret=x']);
    if (docs === undefined) return;
    const config = startsClean(podRuntime(docs), 'generated session secret');
    assert.equal(config.sessionSecrets.length, 1);
    assert.match(config.sessionSecrets[0]?.toString() ?? '', /^[A-Za-z0-9]{64}$/);
  });

  it('policy.existingConfigMap: no policy ConfigMap is rendered, its key is mounted as the policy file keygate reads', (t) => {
    const docs = helmTemplate(t, [...FIXED, '--set', 'policy.existingConfigMap=team-policy', '--set', 'policy.key=prefect.yaml']);
    if (docs === undefined) return;
    assert.deepEqual(docs.filter((d) => d.kind === 'ConfigMap').map((d) => d.name), ['keygate-config']);
    const policy = 'version: 1\ndefault: deny\nrules:\n  - name: h\n    hosts: [a.example.com]\n    allow: public\n';
    const managed: Manifest = { where: 'team-policy', kind: 'ConfigMap', name: 'team-policy', namespace: 'keygate', body: { kind: 'ConfigMap', metadata: { name: 'team-policy' }, data: { 'prefect.yaml': policy } } };
    const rt = podRuntime([...docs, managed]);
    assert.equal(rt.readFile(startsClean(rt, 'existingConfigMap').policyFile), policy);
  });

  it('image.digest wins over the tag', (t) => {
    const docs = helmTemplate(t, FULL, 'kg', 'auth');
    if (docs === undefined) return;
    const image = at(podSpec(docs), 'containers', 0, 'image');
    assert.equal(image, 'registry.example.com/mirror/keygate@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
  });

  it('existingSecret: no Secret is rendered, the pod reads the named keys of the Secret you manage', (t) => {
    const docs = helmTemplate(t, ['--set', 'secret.existingSecret=sso-keygate', '--set', 'secret.existingSecretKeys.clientSecret=oidc', '--set', 'secret.existingSecretKeys.redisUrl=redis']);
    if (docs === undefined) return;
    assert.equal(docs.filter((d) => d.kind === 'Secret').length, 0);
    const managed: Record<string, string> = { oidc: 'managed-client-secret', 'session-secrets': 'managed-session-secret-0123456789abcdef', redis: 'redis://redis:6379' };
    const rt = podRuntime(docs, (secret, key) => (secret === 'sso-keygate' ? managed[key] : undefined));
    const config = startsClean(rt, 'existingSecret');
    assert.equal(config.clientSecret, 'managed-client-secret');
    assert.equal(config.redisUrl, 'redis://redis:6379');
  });

  it('values.schema.json refuses secrets and the policy path under config, and unknown keys', (t) => {
    for (const key of [...CHART_MANAGED, 'bogus']) {
      const err = helmTemplateError(t, ['--set', `config.${key}=x`]);
      if (err === undefined) return;
      assert.match(err, new RegExp(`additional properties '${key}' not allowed`), err);
    }
    assert.match(helmTemplateError(t, ['--set', 'config.logLevel=loud']) ?? '', /logLevel/);
  });
});

describe('helm: every KEYGATE_* setting is reachable from values', () => {
  const specs = Object.entries(KEYS) as Array<[string, KeySpec]>;

  it('values.schema.json config holds keygate\'s config schema, less the chart-managed keys (regenerate: node dist/test/deploy/helm-render.js --write)', () => {
    assert.deepEqual(valuesConfigSchema()['properties'], expectedConfigProperties());
  });

  it('each KEYGATE_* variable in src/config/keys.ts is a config key of the values schema, or one the chart sets from policy/secret values', () => {
    const props = record(valuesConfigSchema()['properties'], 'config properties');
    for (const [name, spec] of specs.filter(([, s]) => s.env !== undefined)) {
      const [first, second] = spec.path;
      const inSchema = second === undefined ? props[first] !== undefined : isRecord(props[first]) && at(props[first], 'properties', second) !== undefined;
      assert.ok(inSchema || CHART_MANAGED.includes(name), `${String(spec.env)} (${spec.path.join('.')}) cannot be set from values`);
      assert.ok(!(inSchema && CHART_MANAGED.includes(name)), `${name} is both a value and chart-managed`);
    }
  });

  it('ci/full-values.yaml sets every config key, each reaches config.yaml as given, and keygate reads it from there', (t) => {
    const values = record(parse(readFileSync(join(ROOT, FULL_VALUES), 'utf8')) as unknown, FULL_VALUES);
    const docs = helmTemplate(t, FULL, 'kg', 'auth');
    if (docs === undefined) return;
    const rt = podRuntime(docs);
    const rendered: unknown = parse(rt.readFile(str(rt.env['KEYGATE_CONFIG'], 'KEYGATE_CONFIG')));
    for (const [name, spec] of specs.filter(([n]) => !CHART_MANAGED.includes(n))) {
      const given = atPath(values['config'], spec);
      assert.ok(given !== undefined, `${FULL_VALUES} does not set config.${spec.path.join('.')} (${spec.env ?? name})`);
      assert.deepEqual(atPath(rendered, spec), given, `config.${spec.path.join('.')}`);
      if (spec.env !== undefined) assert.equal(rt.env[spec.env], undefined, `${spec.env} is set in the environment, shadowing config.yaml`);
    }
    const config = startsClean(rt, FULL_VALUES);
    assert.equal(config.policyFile, '/etc/keygate/policy/policy.yaml', 'KEYGATE_POLICY: the chart-managed policy path');
    assert.equal(config.clientSecret, 'full-values-client-secret', 'KEYGATE_CLIENT_SECRET: from secret.clientSecret');
  });

  it('extraEnv reaches the container and wins over config (keygate reads the environment first)', (t) => {
    const docs = helmTemplate(t, [...FIXED, '--set', 'extraEnv[0].name=KEYGATE_LOG_LEVEL', '--set', 'extraEnv[0].value=warn']);
    if (docs === undefined) return;
    assert.equal(startsClean(podRuntime(docs), 'extraEnv').logLevel, 'warn');
  });
});

describe('helm: reloads and rollouts', () => {
  const podTemplate = (docs: readonly Manifest[] | undefined): unknown => (docs === undefined ? undefined : at(only(docs, 'Deployment').body, 'spec', 'template'));

  it('the policy is a directory mount (no subPath) at the path config.yaml names, so ConfigMap updates reload it', (t) => {
    const docs = helmTemplate(t, FIXED);
    if (docs === undefined) return;
    const rt = podRuntime(docs);
    const container = rt.container;
    const policyFile = startsClean(rt, 'default').policyFile;
    const mount = records(container['volumeMounts'], 'volumeMounts').find((m) => `${String(m['mountPath'])}/policy.yaml` === policyFile);
    assert.ok(mount !== undefined, `no mount holds ${policyFile}`);
    assert.equal(mount['subPath'], undefined, 'a subPath mount never sees ConfigMap updates');
    const volume = records(podSpec(docs)['volumes'], 'volumes').find((v) => v['name'] === mount['name']);
    assert.equal(at(volume, 'configMap', 'name'), 'keygate-policy');
  });

  it('a policy change leaves the pod template alone (reloaded in place); a settings or secret change rolls the pods', (t) => {
    const before = podTemplate(helmTemplate(t, FIXED));
    if (before === undefined) return;
    assert.deepEqual(podTemplate(helmTemplate(t, [...FIXED, '--set-string', 'policy.content=version: 1\ndefault: deny\nrules: []\n'])), before);
    assert.notDeepEqual(podTemplate(helmTemplate(t, [...FIXED, '--set', 'config.logLevel=debug'])), before);
    assert.notDeepEqual(podTemplate(helmTemplate(t, [...FIXED, '--set', 'secret.clientSecret=rotated'])), before);
  });

  it('refuses a shutdown that outlasts terminationGracePeriodSeconds', (t) => {
    const err = helmTemplateError(t, ['--set', 'config.shutdown.graceSeconds=60']);
    if (err === undefined) return;
    assert.match(err, /must fit in terminationGracePeriodSeconds \(30 s\)/);
  });
});

describe('helm: the Traefik Middleware follows the settings', () => {
  it('default headers and cookie: exactly the headers keygate sends and the session cookie chunks', (t) => {
    const docs = helmTemplate(t, ['--set', 'traefikMiddleware.enabled=true']);
    if (docs === undefined) return;
    const fa = record(at(only(docs, 'Middleware').body, 'spec', 'forwardAuth'), 'forwardAuth');
    assertHeaderSet(list(fa['authResponseHeaders'], 'authResponseHeaders').map((h) => str(h, 'header')), 'chart Middleware');
    assertSessionCookies(list(fa['addAuthCookiesToResponse'], 'cookies').map((c) => str(c, 'cookie')), 'chart Middleware');
    assert.equal(fa['address'], 'http://keygate.keygate.svc.cluster.local:4181/auth');
  });

  it('full values: the renamed headers (plus Authorization with passAccessToken) and the renamed cookie', (t) => {
    const docs = helmTemplate(t, FULL, 'kg', 'auth');
    if (docs === undefined) return;
    const config = startsClean(podRuntime(docs), FULL_VALUES);
    const fa = record(at(only(docs, 'Middleware').body, 'spec', 'forwardAuth'), 'forwardAuth');
    assert.deepEqual(fa['authResponseHeaders'], [...Object.values(config.headers), 'Authorization']);
    const name = config.cookie.name;
    assert.deepEqual(fa['addAuthCookiesToResponse'], [name, `${name}.1`, `${name}.2`, `${name}.3`, `${name}.4`]);
    const svc = only(docs, 'Service');
    assert.equal(fa['address'], `http://${svc.name}.auth.svc.cluster.local:${String(at(svc.body, 'spec', 'ports', 0, 'port'))}/auth`);
  });
});
