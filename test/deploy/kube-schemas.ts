/**
 * Schema validation of Kubernetes manifests: the kubernetes-models classes (the API's OpenAPI schemas, plus the
 * Traefik and Prometheus Operator CRDs), and Traefik's own v3 CRD schemas with unknown fields refused.
 */
import assert from 'node:assert/strict';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as traefik from '@kubernetes-models/traefik/traefik.io/v1alpha1';
import { ajvErrors, isRecord } from './support.js';

/** A kubernetes-models class: `new Kind(object).validate()` throws with every schema error. */
interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: never): { validate(): void };
}

function isModelClass(v: unknown): v is ModelClass {
  return typeof v === 'function' && 'apiVersion' in v && typeof v.apiVersion === 'string' && 'kind' in v && typeof v.kind === 'string';
}

/**
 * Every kind of the API groups keygate's manifests may use, keyed `apiVersion/kind`, taken from the packages
 * themselves. A kind outside these groups has no schema here and fails the test: nothing escapes validation.
 */
export const MODELS: ReadonlyMap<string, ModelClass> = new Map(
  [core, apps, policy, autoscaling, networking, traefik, monitoring]
    .flatMap((mod) => Object.values(mod))
    .filter(isModelClass)
    .map((cls) => [`${cls.apiVersion}/${cls.kind}`, cls] as const),
);

/** Validates one manifest against the schema of its apiVersion and kind; the failure names every error. */
export function validateManifest(doc: unknown, where: string): void {
  assert.ok(isRecord(doc), `${where}: a manifest must be a mapping`);
  const key = `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
  const Model = MODELS.get(key);
  assert.ok(Model !== undefined, `${where}: no schema for ${key}; add its group to test/deploy/kube-schemas.ts, never skip it`);
  try {
    new Model(doc as never).validate();
  } catch (err) {
    assert.fail(`${where} (${key}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Marks every object schema that lists its properties as closed, the way the API server's strict field
 * validation (kubectl's default since 1.27) refuses unknown fields instead of pruning them silently.
 */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!isRecord(node)) return node;
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'enum' || k === 'default' ? v : closeObjects(v)]));
  if (isRecord(out['properties']) && out['additionalProperties'] === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out['additionalProperties'] = false;
  }
  return out;
}

/** Ajv for CRD schemas: structural OpenAPI v3, with Kubernetes' extension keywords declared (not evaluated). */
function crdAjv(): Ajv {
  // strictTypes off only: int-or-string fields put `pattern` beside `anyOf: [integer, string]`, a structural-schema
  // idiom Ajv's type strictness rejects. Unknown keywords and formats stay errors.
  const ajv = new Ajv({ strict: true, strictTypes: false, allErrors: true });
  // CEL rules (x-kubernetes-validations) need a CEL engine; the API server evaluates them on apply.
  for (const keyword of ['x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-embedded-resource']) {
    ajv.addKeyword({ keyword, schemaType: ['boolean', 'string', 'array'] });
  }
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  return ajv;
}

/** Validators for each `group/version/kind` of a multi-document file of CustomResourceDefinitions. */
export function crdValidators(text: string): Map<string, ValidateFunction> {
  const ajv = crdAjv();
  const out = new Map<string, ValidateFunction>();
  for (const doc of parseAllDocuments(text)) {
    const crd: unknown = doc.toJS();
    if (!isRecord(crd) || crd['kind'] !== 'CustomResourceDefinition' || !isRecord(crd['spec'])) continue;
    const { group, names, versions } = crd['spec'];
    if (typeof group !== 'string' || !isRecord(names) || typeof names['kind'] !== 'string' || !Array.isArray(versions)) continue;
    for (const v of versions) {
      if (!isRecord(v) || typeof v['name'] !== 'string' || !isRecord(v['schema'])) continue;
      const schema = closeObjects(v['schema']['openAPIV3Schema']);
      out.set(`${group}/${v['name']}/${names['kind']}`, ajv.compile(schema as AnySchema));
    }
  }
  return out;
}

/** Asserts a custom resource matches its CRD schema (unknown fields refused). */
export function validateCustomResource(validators: ReadonlyMap<string, ValidateFunction>, doc: Record<string, unknown>, where: string): void {
  const key = `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
  const validate = validators.get(key);
  assert.ok(validate !== undefined, `${where}: the CRD file has no schema for ${key}`);
  assert.ok(validate(doc), `${where} (${key}) does not match the CRD schema:\n${ajvErrors(validate.errors)}`);
}
