import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { all, at, find, isKustomization, KUBE_DIR, kubeFiles, manifests, records, selects, type Manifest } from './kube-manifests.js';
import { crdValidators, validateCustomResource, validateManifest } from './kube-schemas.js';
import { assertHeaderSet, assertSessionCookies, assertValid, draft07Validator, list, record, rel, requireSchema, str, yamlDocument, yamlDocuments } from './support.js';

const NS = 'keygate';
const HOST = 'prefect.example.com';

/** The keygate Service's URL for `path`, as written in the manifests (cluster DNS, the `http` port). */
function keygateUrl(path: string): string {
  const svc = find('Service', 'keygate', NS);
  const port = records(at(svc.body, 'spec', 'ports'), 'ports').find((p) => p['name'] === 'http');
  assert.ok(port !== undefined, 'the keygate Service has no port named http');
  return `http://${svc.name}.${NS}.svc.cluster.local:${String(port['port'])}${path}`;
}

function keygateMiddleware(): Manifest {
  return find('Middleware', 'keygate', NS);
}

describe('kubernetes: published schemas', () => {
  const files = kubeFiles();

  it('finds the base and the examples', () => {
    const names = files.map(rel);
    for (const f of ['base/kustomization.yaml', 'base/deployment.yaml', 'examples/ingress-nginx.yaml']) assert.ok(names.includes(join(KUBE_DIR, f)), names.join(', '));
  });

  for (const file of files.filter((f) => !isKustomization(f))) {
    it(`${rel(file)}: every document matches the schema of its kind`, () => {
      const docs = yamlDocuments(file);
      assert.ok(docs.length > 0, 'no documents');
      for (const d of docs) validateManifest(d.value, `${rel(file)}#${d.index + 1}`);
    });
  }

  it('Traefik resources match the Traefik v3 CRD schemas, unknown fields refused', (t) => {
    const text = requireSchema(t, 'traefik-crds-v1.yml');
    if (typeof text !== 'string') return;
    const validators = crdValidators(text);
    const traefik = manifests().filter((m) => String(m.body['apiVersion']).startsWith('traefik.io/'));
    assert.ok(traefik.length >= 2, 'expected the Middleware and the IngressRoute example');
    for (const m of traefik) validateCustomResource(validators, m.body, m.where);
  });

  for (const file of files.filter(isKustomization)) {
    it(`${rel(file)} matches the kustomization schema and lists exactly the manifests beside it`, (t) => {
      const doc = record(yamlDocument(rel(file)), rel(file));
      const listed = list(doc['resources'], 'resources').map((r) => str(r, 'resource')).sort();
      const present = readdirSync(dirname(file)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
      assert.deepEqual(listed, present, 'every manifest in the directory is a resource, and every resource exists');
      const schema = requireSchema(t, 'kustomization.json');
      if (schema === undefined) return;
      assertValid(draft07Validator('kustomization.json', schema), doc, rel(file));
    });
  }
});

describe('kubernetes: the keygate Deployment', () => {
  const deployment = (): Manifest => find('Deployment', 'keygate', NS);
  const pod = (): Record<string, unknown> => record(at(deployment().body, 'spec', 'template', 'spec'), 'pod spec');
  const container = (): Record<string, unknown> => {
    const cs = records(pod()['containers'], 'containers');
    assert.equal(cs.length, 1, 'one container');
    return cs[0] ?? {};
  };

  it('runs the released image with `serve`, two replicas, probes on /healthz and /readyz', () => {
    const c = container();
    assert.equal(at(deployment().body, 'spec', 'replicas'), 2);
    assert.equal(c['image'], 'ghcr.io/keygate/keygate:0.1.0');
    assert.deepEqual(c['args'], ['serve']);
    assert.deepEqual(at(c, 'livenessProbe', 'httpGet'), { path: '/healthz', port: 'http' });
    assert.deepEqual(at(c, 'readinessProbe', 'httpGet'), { path: '/readyz', port: 'http' });
    assert.ok(records(c['ports'], 'ports').some((p) => p['name'] === 'http' && p['containerPort'] === 4181));
    assert.ok(typeof pod()['terminationGracePeriodSeconds'] === 'number');
    assert.ok(records(pod()['topologySpreadConstraints'], 'topologySpreadConstraints').length > 0 || at(pod(), 'affinity', 'podAntiAffinity') !== undefined);
    for (const kind of ['requests', 'limits']) for (const r of ['cpu', 'memory']) assert.ok(at(c, 'resources', kind, r) !== undefined, `resources.${kind}.${r}`);
  });

  it('is unprivileged: non-root uid 10001, read-only root, no escalation, no capabilities, RuntimeDefault seccomp', () => {
    const sc = record(container()['securityContext'], 'container securityContext');
    const podSc = record(pod()['securityContext'], 'pod securityContext');
    assert.equal(sc['runAsNonRoot'] ?? podSc['runAsNonRoot'], true);
    assert.equal(sc['runAsUser'] ?? podSc['runAsUser'], 10001);
    assert.equal(sc['readOnlyRootFilesystem'], true);
    assert.equal(sc['allowPrivilegeEscalation'], false);
    assert.deepEqual(at(sc, 'capabilities', 'drop'), ['ALL']);
    assert.equal(at(sc, 'seccompProfile', 'type') ?? at(podSc, 'seccompProfile', 'type'), 'RuntimeDefault');
    assert.equal(pod()['automountServiceAccountToken'], false);
  });

  it('mounts the policy ConfigMap as a directory (no subPath), so its symlink swap reloads the policy', () => {
    const mounts = records(container()['volumeMounts'], 'volumeMounts');
    const volume = records(pod()['volumes'], 'volumes').find((v) => at(v, 'configMap', 'name') === 'keygate-policy');
    assert.ok(volume !== undefined, 'no volume from the keygate-policy ConfigMap');
    const mount = mounts.find((m) => m['name'] === volume['name']);
    assert.ok(mount !== undefined, 'the policy volume is not mounted');
    assert.equal(mount['subPath'], undefined, 'a subPath mount never sees ConfigMap updates');
    const policyPath = at(find('ConfigMap', 'keygate-settings', NS).body, 'data', 'KEYGATE_POLICY');
    assert.equal(policyPath, `${str(mount['mountPath'], 'mountPath')}/policy.yaml`);
    assert.equal(typeof at(find('ConfigMap', 'keygate-policy', NS).body, 'data', 'policy.yaml'), 'string');
  });

  it('is selected by its Service, PodDisruptionBudget, HorizontalPodAutoscaler, NetworkPolicy and ServiceMonitor', () => {
    const labels = at(deployment().body, 'spec', 'template', 'metadata', 'labels');
    const containerPorts = new Set(records(container()['ports'], 'ports').map((p) => p['name']));
    const svc = find('Service', 'keygate', NS);
    assert.ok(selects(at(svc.body, 'spec', 'selector'), labels), 'Service selector');
    for (const p of records(at(svc.body, 'spec', 'ports'), 'Service ports')) assert.ok(containerPorts.has(p['targetPort']), `Service targetPort ${String(p['targetPort'])}`);
    const pdb = find('PodDisruptionBudget', 'keygate', NS);
    assert.ok(selects(at(pdb.body, 'spec', 'selector'), labels), 'PodDisruptionBudget selector');
    assert.equal(at(pdb.body, 'spec', 'minAvailable'), 1);
    const hpa = find('HorizontalPodAutoscaler', 'keygate', NS);
    assert.deepEqual(at(hpa.body, 'spec', 'scaleTargetRef'), { apiVersion: 'apps/v1', kind: 'Deployment', name: 'keygate' });
    assert.equal(at(hpa.body, 'spec', 'metrics', 0, 'resource', 'name'), 'cpu');
    const np = find('NetworkPolicy', 'keygate', NS);
    assert.ok(selects(at(np.body, 'spec', 'podSelector'), labels), 'NetworkPolicy podSelector');
    for (const rule of records(at(np.body, 'spec', 'ingress'), 'ingress')) {
      for (const p of records(rule['ports'], 'ports')) assert.ok(containerPorts.has(p['port']), `NetworkPolicy port ${String(p['port'])}`);
    }
    const sm = find('ServiceMonitor', 'keygate', NS);
    assert.ok(selects(at(sm.body, 'spec', 'selector'), at(svc.body, 'metadata', 'labels')), 'ServiceMonitor selector');
    const servicePorts = new Set(records(at(svc.body, 'spec', 'ports'), 'ports').map((p) => p['name']));
    for (const e of records(at(sm.body, 'spec', 'endpoints'), 'endpoints')) assert.ok(servicePorts.has(e['port']), `ServiceMonitor port ${String(e['port'])}`);
  });

  it('admits only the ingress controllers to the service port and Prometheus to the metrics port', () => {
    const np = find('NetworkPolicy', 'keygate', NS);
    const fromNamespaces = (rule: Record<string, unknown>): unknown[] =>
      records(rule['from'], 'from').flatMap((f) => {
        const sel = record(f['namespaceSelector'], 'every source is a namespace');
        const exprs = records(sel['matchExpressions'], 'matchExpressions').flatMap((e) => list(e['values'], 'values'));
        return [...exprs, at(sel, 'matchLabels', 'kubernetes.io/metadata.name')].filter((v) => v !== undefined);
      });
    const byPort = new Map<unknown, unknown[]>();
    for (const rule of records(at(np.body, 'spec', 'ingress'), 'ingress')) {
      for (const p of records(rule['ports'], 'every ingress rule names its ports')) byPort.set(p['port'], [...(byPort.get(p['port']) ?? []), ...fromNamespaces(rule)]);
    }
    assert.ok(byPort.get('http')?.includes('traefik') && byPort.get('http')?.includes('ingress-nginx'), 'ingress controllers reach http');
    assert.deepEqual(byPort.get('metrics'), ['monitoring']);
    assert.deepEqual(at(np.body, 'spec', 'policyTypes'), ['Ingress', 'Egress']);
  });
});

describe('kubernetes: proxies in front of keygate', () => {
  it('the Traefik Middleware calls /auth on the keygate Service and copies exactly the headers keygate sends, and passes renewed session cookies', () => {
    const fa = record(at(keygateMiddleware().body, 'spec', 'forwardAuth'), 'forwardAuth');
    assert.equal(fa['address'], keygateUrl('/auth'));
    assertHeaderSet(list(fa['authResponseHeaders'], 'authResponseHeaders').map((h) => str(h, 'header')), 'Middleware keygate');
    assertSessionCookies(list(fa['addAuthCookiesToResponse'], 'addAuthCookiesToResponse').map((c) => str(c, 'cookie')), 'Middleware keygate');
  });

  it('the IngressRoute sends the UI and /api through keygate and nothing else', () => {
    const routes = all('IngressRoute').flatMap((ir) => records(at(ir.body, 'spec', 'routes'), `${ir.where} routes`));
    assert.deepEqual(routes.map((r) => r['match']).sort(), [`Host(\`${HOST}\`)`, `Host(\`${HOST}\`) && PathPrefix(\`/api\`)`]);
    for (const r of routes) assert.deepEqual(r['middlewares'], [{ name: keygateMiddleware().name, namespace: NS }], `route ${String(r['match'])}`);
  });

  it('the Traefik Ingress names the Middleware as <namespace>-<name>@kubernetescrd', () => {
    const traefik = all('Ingress').filter((i) => at(i.body, 'spec', 'ingressClassName') === 'traefik');
    assert.equal(traefik.length, 1);
    const annotation = at(traefik[0]?.body, 'metadata', 'annotations', 'traefik.ingress.kubernetes.io/router.middlewares');
    assert.equal(annotation, `${NS}-${keygateMiddleware().name}@kubernetescrd`);
  });

  it('the ingress-nginx Ingress asks /auth/nginx, signs in at /_keygate/start and copies exactly the headers', () => {
    const nginx = all('Ingress').filter((i) => at(i.body, 'spec', 'ingressClassName') === 'nginx');
    const app = nginx.find((i) => at(i.body, 'metadata', 'annotations', 'nginx.ingress.kubernetes.io/auth-url') !== undefined);
    assert.ok(app !== undefined, 'no ingress-nginx Ingress with auth-url');
    const a = record(at(app.body, 'metadata', 'annotations'), 'annotations');
    assert.equal(a['nginx.ingress.kubernetes.io/auth-url'], keygateUrl('/auth/nginx'));
    assertHeaderSet(str(a['nginx.ingress.kubernetes.io/auth-response-headers'], 'auth-response-headers').split(','), 'auth-response-headers');
    // As ingress-nginx fills the variables in for https://prefect.example.com/api/flows?x=1 ($escaped_request_uri
    // is the escaped path and query); keygate resolves a path rd against the host the sign-in request came to.
    const signin = new URL(str(a['nginx.ingress.kubernetes.io/auth-signin'], 'auth-signin').replaceAll('$host', HOST).replaceAll('$escaped_request_uri', '%2Fapi%2Fflows%3Fx%3D1'));
    assert.equal(`${signin.origin}${signin.pathname}`, `https://${HOST}/_keygate/start`);
    assert.equal(new URL(signin.searchParams.get('rd') ?? '', signin.origin).href, `https://${HOST}/api/flows?x=1`);
  });

  it('a second ingress-nginx Ingress serves /_keygate/ on the same host from keygate, without auth', () => {
    const signin = all('Ingress').filter((i) => records(at(i.body, 'spec', 'rules'), 'rules').some((r) => r['host'] === HOST && records(at(r, 'http', 'paths'), 'paths').some((p) => p['path'] === '/_keygate/')));
    assert.equal(signin.length, 1);
    const ing = signin[0];
    assert.ok(ing !== undefined);
    assert.equal(ing.namespace, NS, 'an Ingress routes to Services in its own namespace only');
    assert.equal(at(ing.body, 'metadata', 'annotations', 'nginx.ingress.kubernetes.io/auth-url'), undefined);
    const backend = at(ing.body, 'spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service');
    assert.deepEqual(backend, { name: 'keygate', port: { name: 'http' } });
  });

  it('ships no path-rewriting middleware or annotation', () => {
    for (const m of all('Middleware')) for (const k of Object.keys(record(m.body['spec'], m.where))) assert.ok(!/prefix|replacepath/i.test(k), `${m.where}: ${k}`);
    for (const i of all('Ingress')) {
      const annotations = Object.keys(record(at(i.body, 'metadata', 'annotations') ?? {}, 'annotations'));
      assert.ok(!annotations.some((k) => k.endsWith('/rewrite-target')), `${i.where} rewrites the path`);
    }
  });
});

