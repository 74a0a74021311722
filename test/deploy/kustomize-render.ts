/**
 * Rendered manifests (from real `kubectl kustomize` or `helm template`) as objects, and the keygate process a
 * rendered Deployment would start: its environment, the files its ConfigMap and Secret volumes hold, its config file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { RawConfigInput } from '../../src/config/validate.js';
import { parseYamlSource } from '../../src/util/yaml-source.js';
import { at, records, type Manifest } from './kube-manifests.js';
import { isRecord, record, str } from './support.js';

/** Runs a rendering program; a failure names the command and carries its stderr. */
export function run(program: string, args: readonly string[], cwd?: string): string {
  try {
    return execFileSync(program, args, { encoding: 'utf8', cwd, timeout: 60_000, maxBuffer: 32 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = isRecord(err) ? String(err['stderr'] ?? '') : '';
    throw new Error(`${basename(program)} ${args.join(' ')} failed:\n${stderr || String(err)}`);
  }
}

/** The documents of a rendered stream, each checked to parse the same in YAML 1.1 and 1.2. */
export function renderedManifests(text: string, where: string): Manifest[] {
  const read = (version: '1.1' | '1.2'): unknown[] =>
    parseAllDocuments(text, { version }).map((doc, i) => {
      assert.deepEqual(doc.errors.map((e) => e.message), [], `${where} document ${i + 1} (YAML ${version})`);
      return doc.toJS() as unknown;
    });
  const docs = read('1.2');
  assert.deepEqual(read('1.1'), docs, `${where} reads differently in YAML 1.1 and 1.2`);
  return docs
    .filter((d) => d !== null && d !== undefined)
    .map((d, i) => {
      const body = record(d, `${where}#${i + 1}`);
      const meta = record(body['metadata'], `${where}#${i + 1} metadata`);
      const ns = meta['namespace'];
      return { where: `${where}#${i + 1} ${String(body['kind'])}/${String(meta['name'])}`, kind: String(body['kind']), name: String(meta['name']), namespace: typeof ns === 'string' ? ns : undefined, body };
    });
}

/** The one rendered object of `kind` (and `name`, when given). */
export function only(docs: readonly Manifest[], kind: string, name?: string): Manifest {
  const hits = docs.filter((m) => m.kind === kind && (name === undefined || m.name === name));
  assert.equal(hits.length, 1, `expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${hits.length}: ${docs.map((d) => `${d.kind}/${d.name}`).join(', ')}`);
  const [hit] = hits;
  assert.ok(hit !== undefined);
  return hit;
}

/** A ConfigMap's or Secret's entries as text (Secret `data` is base64, `stringData` plain). */
function entries(doc: Manifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(doc.body['data'] ?? {}, `${doc.where} data`))) {
    out[k] = doc.kind === 'Secret' ? Buffer.from(str(v, k), 'base64').toString('utf8') : str(v, k);
  }
  for (const [k, v] of Object.entries(record(doc.body['stringData'] ?? {}, `${doc.where} stringData`))) out[k] = str(v, k);
  return out;
}

/** What a keygate container would read: validateConfig's input, and every mounted file by absolute path. */
export interface PodRuntime extends RawConfigInput {
  readonly env: Record<string, string>;
  /** The rendered Deployment's only container. */
  readonly container: Record<string, unknown>;
}

/**
 * The keygate container of the one Deployment in `docs`: env from `envFrom` ConfigMaps and literal `env` values,
 * files from ConfigMap and Secret volumes (with `items` honoured), and the config file KEYGATE_CONFIG names.
 * `secretValue(secretName, key)` supplies a Secret the render does not hold (existingSecret), or overrides one.
 */
export function podRuntime(docs: readonly Manifest[], secretValue: (secret: string, key: string) => string | undefined = () => undefined): PodRuntime {
  const deployment = only(docs, 'Deployment');
  const pod = record(at(deployment.body, 'spec', 'template', 'spec'), 'pod spec');
  const containers = records(pod['containers'], 'containers');
  assert.equal(containers.length, 1, 'one container');
  const container = containers[0] ?? {};
  const source = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> | undefined => {
    const hits = docs.filter((d) => d.kind === kind && d.name === name);
    return hits[0] === undefined ? undefined : entries(hits[0]);
  };
  const env: Record<string, string> = {};
  for (const e of records(container['envFrom'], 'envFrom')) {
    const name = str(at(e, 'configMapRef', 'name'), 'envFrom: only configMapRef is used');
    Object.assign(env, source('ConfigMap', name) ?? assert.fail(`envFrom names ConfigMap ${name}, which is not rendered`));
  }
  for (const e of records(container['env'], 'env')) env[str(e['name'], 'env name')] = str(e['value'], `env ${String(e['name'])}: only literal values are used`);

  const volumes = new Map(records(pod['volumes'], 'volumes').map((v) => [str(v['name'], 'volume name'), v]));
  const readFile = (path: string): string => {
    const mount = records(container['volumeMounts'], 'volumeMounts').find((m) => m['mountPath'] === dirname(path));
    const volume = mount === undefined ? undefined : volumes.get(str(mount['name'], 'mount name'));
    const from = volume === undefined ? undefined : isRecord(volume['configMap']) ? ({ kind: 'ConfigMap', spec: volume['configMap'], name: volume['configMap']['name'] } as const) : isRecord(volume['secret']) ? ({ kind: 'Secret', spec: volume['secret'], name: volume['secret']['secretName'] } as const) : undefined;
    if (from === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    const items = records(from.spec['items'], 'items');
    const item = items.find((i) => i['path'] === basename(path));
    if (items.length > 0 && item === undefined) throw Object.assign(new Error(`ENOENT: ${path} is not among the volume's items`), { code: 'ENOENT' });
    const key = item === undefined ? basename(path) : str(item['key'], 'item key');
    const name = str(from.name, `${from.kind} volume name`);
    const value = (from.kind === 'Secret' ? secretValue(name, key) : undefined) ?? source(from.kind, name)?.[key];
    if (value === undefined) throw Object.assign(new Error(`ENOENT: ${from.kind} ${name} has no key ${key} (for ${path})`), { code: 'ENOENT' });
    return value;
  };
  const configFile = env['KEYGATE_CONFIG'];
  const yaml = configFile === undefined ? undefined : parseYamlSource(readFile(configFile), configFile);
  return { env, readFile, yaml, container };
}
