/**
 * One policy per app (issue 14.6): the Kubernetes base's keygate-policy ConfigMap and traefik/keygate/policy.yaml ship
 * the Prefect policy of examples/prefect/policy.yaml, the one the Prefect end-to-end tests run against. Compared as
 * parsed YAML, so only comments may differ.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { loadPolicy } from '../../src/policy/load.js';
import { identityWith } from './support.js';
import { evaluate } from '../../src/policy/index.js';
import { ROOT } from '../support/proxies.js';

const EXAMPLE = 'examples/prefect/policy.yaml';
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

/** The policy.yaml text of the keygate-policy ConfigMap in deploy/kubernetes/base/configmap.yaml. */
function configMapPolicy(): string {
  for (const doc of parseAllDocuments(read('deploy/kubernetes/base/configmap.yaml'))) {
    const v = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown }; data?: Record<string, unknown> } | null;
    if (v?.kind === 'ConfigMap' && v.metadata?.name === 'keygate-policy') {
      const text = v.data?.['policy.yaml'];
      if (typeof text === 'string') return text;
    }
  }
  throw new Error('deploy/kubernetes/base/configmap.yaml has no keygate-policy ConfigMap with policy.yaml');
}

const copies = (): Array<{ name: string; text: string }> => [
  { name: 'deploy/kubernetes/base/configmap.yaml (keygate-policy)', text: configMapPolicy() },
  { name: 'traefik/keygate/policy.yaml', text: read('traefik/keygate/policy.yaml') },
];

describe('one Prefect policy: the shipped copies are examples/prefect/policy.yaml', () => {
  for (const copy of copies()) {
    it(`${copy.name} is the example's policy, rule for rule`, () => {
      assert.deepEqual(parse(copy.text) as unknown, parse(read(EXAMPLE)) as unknown, `${copy.name} differs from ${EXAMPLE}: copy ${EXAMPLE} into it`);
    });

    it(`${copy.name} does not let a viewer read block documents (they can hold secrets)`, () => {
      const r = loadPolicy(copy.text, copy.name);
      assert.ok(r.value !== undefined, r.errors.map((e) => e.message).join('\n'));
      const viewer = identityWith('alice', ['prefect-viewer']);
      for (const [method, path] of [['GET', '/api/block_documents/0b1c9a52-7d3e-4f1a-9c2b-5e6f7a8b9c0d'], ['POST', '/api/block_documents/filter'], ['GET', '/api/block_types/slug/secret/block_documents']] as const) {
        const d = evaluate(r.value, { method, host: 'prefect.example.com', path }, viewer);
        assert.equal(d.kind, 'deny', `${copy.name}: viewer ${method} ${path} → ${d.kind} by ${d.rule}`);
      }
    });
  }
});
