/** The shipped Kubernetes manifests, loaded once, with lookups by kind and name. */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { filesUnder, isRecord, record, rel, yamlDocuments, type YamlDoc } from './support.js';

/** Where the manifests live. */
export const KUBE_DIR = 'deploy/kubernetes';

/** A manifest with where it came from. */
export interface Manifest {
  readonly where: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly body: Record<string, unknown>;
}

/** True for kustomize's own files, which are not API objects. */
export function isKustomization(file: string): boolean {
  return basename(file) === 'kustomization.yaml';
}

/** Every YAML file under deploy/kubernetes/. */
export function kubeFiles(): string[] {
  return filesUnder(KUBE_DIR, ['.yaml', '.yml']);
}

function toManifest(doc: YamlDoc): Manifest {
  const where = `${rel(doc.file)}#${doc.index + 1}`;
  const body = record(doc.value, where);
  const meta = record(body['metadata'], `${where}: metadata`);
  const ns = meta['namespace'];
  return { where, kind: String(body['kind']), name: String(meta['name']), namespace: typeof ns === 'string' ? ns : undefined, body };
}

let cache: Manifest[] | undefined;

/** Every API object in every non-kustomization file. */
export function manifests(): Manifest[] {
  cache ??= kubeFiles().filter((f) => !isKustomization(f)).flatMap(yamlDocuments).map(toManifest);
  return cache;
}

/** The one manifest of `kind` named `name` (and in `namespace`, when given). */
export function find(kind: string, name: string, namespace?: string): Manifest {
  const hits = manifests().filter((m) => m.kind === kind && m.name === name && (namespace === undefined || m.namespace === namespace));
  assert.equal(hits.length, 1, `expected exactly one ${kind} ${namespace ?? '*'}/${name}, found ${hits.length}`);
  const [hit] = hits;
  assert.ok(hit !== undefined);
  return hit;
}

/** Every manifest of `kind`. */
export function all(kind: string): Manifest[] {
  return manifests().filter((m) => m.kind === kind);
}

/** Reads a nested value by path; undefined when any step is missing. */
export function at(value: unknown, ...path: Array<string | number>): unknown {
  let cur = value;
  for (const p of path) {
    if (typeof p === 'number') cur = Array.isArray(cur) ? cur[p] : undefined;
    else cur = isRecord(cur) ? cur[p] : undefined;
  }
  return cur;
}

/** A nested list (empty when absent), each element a mapping. */
export function records(value: unknown, what: string): Array<Record<string, unknown>> {
  if (value === undefined) return [];
  assert.ok(Array.isArray(value), `${what} must be a list`);
  return value.map((v, i) => record(v, `${what}[${i}]`));
}

/** True when `selector.matchLabels` (or a plain label map) selects every label it names from `labels`. */
export function selects(selector: unknown, labels: unknown): boolean {
  const wanted = isRecord(selector) && isRecord(selector['matchLabels']) ? selector['matchLabels'] : selector;
  if (!isRecord(wanted) || Object.keys(wanted).length === 0 || !isRecord(labels)) return false;
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}
