import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { knownVariables } from '../../src/config/keys.js';
import { validateConfig } from '../../src/config/validate.js';
import { loadPolicy } from '../../src/policy/load.js';
import { formatProblem } from '../../src/util/problems.js';
import { at, find, records } from './kube-manifests.js';
import { isRecord, record, ROOT, str, yamlDocument } from './support.js';

const NS = 'keygate';
const COMPOSE = 'traefik/docker-compose.labels.yml';
const COMPOSE_POLICY = 'traefik/keygate/policy.yaml';

/** Valid stand-ins for the secrets the examples leave to the operator (each session secret >= 32 bytes). */
const STAND_INS: Readonly<Record<string, string>> = {
  'client-secret': 'stand-in-client-secret',
  'session-secrets': 'stand-in-session-secret-0123456789abcdef\nstand-in-older-secret-0123456789abcdefgh\n',
};

/** The environment a container gets, as name → value; `valueFrom` entries are not used by the shipped files. */
interface Runtime {
  readonly env: Record<string, string>;
  /** Reads a file the environment names (`*_FILE`); throws ENOENT for anything else. */
  readonly readFile: (path: string) => string;
}

function enoent(path: string): never {
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
}

/** The Kubernetes container's environment, and its Secret volume with `secrets` as the file contents. */
function kubeRuntime(secrets: (key: string) => string | undefined): Runtime {
  const settings = record(at(find('ConfigMap', 'keygate-settings', NS).body, 'data'), 'keygate-settings data');
  const pod = at(find('Deployment', 'keygate', NS).body, 'spec', 'template', 'spec');
  const container = records(at(pod, 'containers'), 'containers')[0] ?? {};
  const fromConfigMaps = records(container['envFrom'], 'envFrom').map((e) => str(at(e, 'configMapRef', 'name'), 'envFrom configMapRef'));
  assert.deepEqual(fromConfigMaps, ['keygate-settings']);
  const env: Record<string, string> = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, str(v, k)]));
  for (const e of records(container['env'], 'env')) env[str(e['name'], 'env name')] = str(e['value'], `${String(e['name'])} value`);
  const secretVolume = records(at(pod, 'volumes'), 'volumes').find((v) => at(v, 'secret', 'secretName') === 'keygate-secrets');
  const mount = records(container['volumeMounts'], 'volumeMounts').find((m) => m['name'] === secretVolume?.['name']);
  const dir = str(mount?.['mountPath'], 'Secret mountPath');
  return { env, readFile: (path) => (dirname(path) === dir ? secrets(basename(path)) : undefined) ?? enoent(path) };
}

/** The example Secret's keys and values. */
function exampleSecret(): Record<string, string> {
  const body = find('Secret', 'keygate-secrets', NS).body;
  const data = record(body['stringData'] ?? {}, 'stringData');
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, str(v, k)]));
}

/** The compose keygate service's environment, and its Compose secrets (mounted at /run/secrets/<name>). */
function composeRuntime(): Runtime {
  const doc = record(yamlDocument(COMPOSE), COMPOSE);
  const svc = record(at(doc, 'services', 'keygate'), 'services.keygate');
  const env = Object.fromEntries(Object.entries(record(svc['environment'], 'environment')).map(([k, v]) => [k, String(v)]));
  const declared = record(doc['secrets'], 'secrets');
  const readFile = (path: string): string => {
    const name = path.startsWith('/run/secrets/') ? path.slice('/run/secrets/'.length) : '';
    const file = at(declared, name, 'file');
    return typeof file === 'string' ? (STAND_INS[basename(file)] ?? enoent(path)) : enoent(path);
  };
  return { env, readFile };
}

function assertValidConfig(rt: Runtime, what: string): void {
  const r = validateConfig({ env: rt.env, readFile: rt.readFile });
  assert.deepEqual(r.errors.map(formatProblem), [], `${what}: keygate would refuse to start`);
  assert.deepEqual(r.warnings.map(formatProblem), [], `${what}: keygate would warn at start`);
  assert.ok(r.value !== undefined);
}

describe('keygate settings in the shipped deployments', () => {
  it('every KEYGATE_* variable set by the Deployment, the ConfigMap and the compose file is one keygate reads', () => {
    const known = new Set(knownVariables());
    const sets = { kubernetes: Object.keys(kubeRuntime(() => undefined).env), compose: Object.keys(composeRuntime().env) };
    for (const [where, names] of Object.entries(sets)) {
      for (const name of names) {
        assert.ok(name.startsWith('KEYGATE_'), `${where}: ${name} is not a keygate variable (envFrom imports every key)`);
        assert.ok(known.has(name), `${where}: ${name} is not a variable keygate reads`);
      }
    }
  });

  it('the Kubernetes settings start keygate, with secrets read from files in the mounted Secret', () => {
    const keys = new Set(Object.keys(exampleSecret()));
    const rt = kubeRuntime((key) => (keys.has(key) ? STAND_INS[key] : undefined));
    for (const secret of ['KEYGATE_CLIENT_SECRET', 'KEYGATE_SESSION_SECRETS']) {
      assert.equal(rt.env[secret], undefined, `${secret} must come from a file, never from the environment`);
      assert.ok(rt.env[`${secret}_FILE`] !== undefined, `${secret}_FILE is not set`);
    }
    assertValidConfig(rt, 'Kubernetes');
  });

  it('the example Secret cannot be deployed as it is: keygate refuses its session secret', () => {
    const secret = exampleSecret();
    const r = validateConfig({ ...kubeRuntime((key) => secret[key]) });
    const problems = r.errors.map(formatProblem);
    assert.ok(problems.some((p) => p.startsWith('$KEYGATE_SESSION_SECRETS_FILE') && p.includes('at least 32 bytes')), problems.join('\n'));
  });

  it('the compose settings start keygate, trusting only the Traefik container', () => {
    const rt = composeRuntime();
    assertValidConfig(rt, COMPOSE);
    const doc = record(yamlDocument(COMPOSE), COMPOSE);
    const traefikIp = at(doc, 'services', 'traefik', 'networks', 'edge', 'ipv4_address');
    assert.equal(rt.env['KEYGATE_TRUSTED_PROXIES'], `${str(traefikIp, 'traefik ipv4_address')}/32`);
  });
});

describe('the shipped policies', () => {
  const policies = (): Array<{ name: string; text: string }> => [
    { name: 'ConfigMap keygate-policy (policy.yaml)', text: str(at(find('ConfigMap', 'keygate-policy', NS).body, 'data', 'policy.yaml'), 'policy.yaml') },
    { name: COMPOSE_POLICY, text: readFileSync(join(ROOT, COMPOSE_POLICY), 'utf8') },
  ];

  it('load without errors or warnings', () => {
    for (const { name, text } of policies()) {
      const r = loadPolicy(text, name);
      assert.deepEqual(r.errors.map(formatProblem), [], name);
      assert.deepEqual(r.warnings.map(formatProblem), [], name);
      assert.ok(r.value !== undefined && r.value.rules.length > 0, name);
    }
  });

  it('are the same policy in Kubernetes and in compose', () => {
    const [kube, compose] = policies().map((p) => parse(p.text) as unknown);
    assert.ok(isRecord(kube));
    assert.deepEqual(kube, compose);
  });
});
