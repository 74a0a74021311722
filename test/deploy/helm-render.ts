/**
 * The Helm chart in deploy/helm/keygate, rendered by a real `helm` (v4, go install in scripts/real-systems.sh), and
 * the chart's `config` values schema derived from keygate's own config schema. Run this file with `--write` to
 * regenerate values.schema.json's config section after schemas/config.schema.json changes:
 *   npm run build && node dist/test/deploy/helm-render.js --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestContext } from 'node:test';
import { requireReal } from '../support/real-systems.js';
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate.js';
import { formatProblem } from '../../src/util/problems.js';
import { at, type Manifest } from './kube-manifests.js';
import { only, renderedManifests, run, type PodRuntime } from './kustomize-render.js';
import { record, ROOT } from './support.js';

/** The chart, repository-relative. */
export const CHART = 'deploy/helm/keygate';
/** The values file that sets every value (helm lint and template run with it). */
export const FULL_VALUES = join(CHART, 'ci/full-values.yaml');
/** The chart's values schema. */
export const VALUES_SCHEMA = join(CHART, 'values.schema.json');
const CONFIG_SCHEMA = 'schemas/config.schema.json';

/**
 * Config keys the chart sets itself and refuses under `config`: the policy path (the policy is the chart's mount)
 * and the secrets (files from the Secret: KEYGATE_CLIENT_SECRET_FILE, _SESSION_SECRETS_FILE, _REDIS_URL_FILE).
 */
export const CHART_MANAGED: readonly string[] = ['policyFile', 'clientSecret', 'sessionSecrets', 'redisUrl'];

/** Fixed secrets, so two renders differ only by what a test changes (the chart generates a session secret otherwise). */
export const FIXED: readonly string[] = ['--set', 'secret.clientSecret=test-client-secret', '--set', 'secret.sessionSecrets[0]=test-session-secret-0123456789abcdefgh'];

/** validateConfig on what the rendered pod would read: no errors and no warnings; returns the Config. */
export function startsClean(rt: PodRuntime, what: string): Config {
  const r = validateConfig(rt);
  assert.deepEqual(r.errors.map(formatProblem), [], `${what}: keygate would refuse to start`);
  assert.deepEqual(r.warnings.map(formatProblem), [], `${what}: keygate would warn at start`);
  assert.ok(r.value !== undefined);
  return r.value;
}

/** The pod spec of the one rendered Deployment. */
export function podSpec(docs: readonly Manifest[]): Record<string, unknown> {
  return record(at(only(docs, 'Deployment').body, 'spec', 'template', 'spec'), 'pod spec');
}

/** `helm lint --strict CHART ARGS`; throws with helm's output when it fails. */
export function helmLint(t: TestContext, args: readonly string[] = []): string | undefined {
  const helm = requireReal(t, 'helm');
  return helm === undefined ? undefined : run(helm, ['lint', '--strict', join(ROOT, CHART), ...args]);
}

/** `helm template RELEASE CHART -n NAMESPACE ARGS` as objects, or undefined when helm is missing (skipped loudly). */
export function helmTemplate(t: TestContext, args: readonly string[] = [], release = 'keygate', namespace = 'keygate'): Manifest[] | undefined {
  const helm = requireReal(t, 'helm');
  if (helm === undefined) return undefined;
  const out = run(helm, ['template', release, join(ROOT, CHART), '--namespace', namespace, ...args]);
  return renderedManifests(out, `helm template ${args.join(' ')}`.trim());
}

/** `helm template` expected to fail: its error text. */
export function helmTemplateError(t: TestContext, args: readonly string[]): string | undefined {
  const helm = requireReal(t, 'helm');
  if (helm === undefined) return undefined;
  try {
    run(helm, ['template', 'keygate', join(ROOT, CHART), ...args]);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return '(helm template succeeded)';
}

function readJson(file: string): Record<string, unknown> {
  return record(JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as unknown, file);
}

/** keygate's config schema's properties, less the chart-managed keys: what values.schema.json's config must hold. */
export function expectedConfigProperties(): Record<string, unknown> {
  const props = record(readJson(CONFIG_SCHEMA)['properties'], `${CONFIG_SCHEMA} properties`);
  return Object.fromEntries(Object.entries(props).filter(([k]) => !CHART_MANAGED.includes(k)));
}

/** values.schema.json's `config` subschema. */
export function valuesConfigSchema(): Record<string, unknown> {
  return record(record(readJson(VALUES_SCHEMA)['properties'], 'properties')['config'], 'properties.config');
}

function writeConfigSection(): void {
  const schema = readJson(VALUES_SCHEMA);
  const props = record(schema['properties'], 'properties');
  const config = record(props['config'], 'properties.config');
  config['properties'] = expectedConfigProperties();
  writeFileSync(join(ROOT, VALUES_SCHEMA), `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`${VALUES_SCHEMA}: config.properties regenerated from ${CONFIG_SCHEMA}\n`);
}

const main = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (main && process.argv.includes('--write')) writeConfigSection();

