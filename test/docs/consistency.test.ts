/**
 * The docs and the code stay in step (issue 16 point 4): every metric keygate registers has its row in
 * docs/observability.md and every row names one; every error code, metric, variable, nested config key and source
 * file that README.md or docs/ mention exists in the code; every relative link resolves. The configuration table and
 * the error table are held to the code both ways by configuration-reference.test.ts and error-codes.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { KEYS, SECTIONS, knownVariables, type KeySpec } from '../../src/config/keys.js';
import { ERRORS } from '../../src/errors.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { filesUnder } from '../deploy/support.js';
import { docFiles, linkProblems, mentions, type Mentions } from './markdown.js';

/** Repository root (tests run from dist/test/docs). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FILES = docFiles(ROOT);

/** Each doc's mentions, by file. */
const MENTIONS = new Map<string, Mentions>(FILES.map((f) => [f, mentions(readFileSync(join(ROOT, f), 'utf8'), SECTIONS)]));

/** `file: name` for every mention of one kind that `known` refuses. */
function unknown(kind: keyof Mentions, known: (name: string) => boolean): string[] {
  return [...MENTIONS].flatMap(([file, m]) => m[kind].filter((n) => !known(n)).map((n) => `${file}: ${n}`));
}

/** Every metric name keygate's registry exports, process and Node.js metrics included. */
let registered: string[] = [];
before(async () => {
  registered = (await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
});

/** Whether a documented metric name (a histogram series, or a `prefix_*` pattern) names a registered metric. */
function isRegistered(name: string): boolean {
  if (name.endsWith('*')) return registered.some((r) => r.startsWith(name.slice(0, -1)));
  return registered.includes(name) || registered.includes(name.replace(/_(bucket|sum|count)$/, ''));
}

describe('every metric keygate registers is in docs/observability.md, and every row there is registered', () => {
  const text = readFileSync(join(ROOT, 'docs', 'observability.md'), 'utf8');
  const rows = [...text.matchAll(/^\| (`keygate_[^|]*)\|/gm)].flatMap((m) => [...(m[1] ?? '').matchAll(/`([^`]+)`/g)].map((n) => n[1] ?? ''));

  it('the metrics table is there', () => {
    assert.ok(rows.length >= 10, `only ${rows.length} metric rows found in docs/observability.md`);
  });
  it('each registered metric has a row (process and Node.js metrics through their prefix rows)', () => {
    const covered = (name: string): boolean => rows.some((r) => (r.endsWith('*') ? name.startsWith(r.slice(0, -1)) : name === r));
    assert.ok(registered.length > 0);
    assert.deepEqual(registered.filter((n) => !covered(n)), []);
  });
  it('each row names a registered metric', () => {
    assert.deepEqual(rows.filter((r) => !isRegistered(r)), []);
  });
});

describe('every name README.md and docs/ mention exists in the code', () => {
  it('finds the docs', () => {
    assert.ok(FILES.length > 10 && FILES.includes('docs/configuration.md'), FILES.join(', '));
  });
  it('error codes are in the catalog (src/errors.ts)', () => {
    assert.deepEqual(unknown('codes', (c) => c in ERRORS), []);
  });
  it('metrics are in the registry (src/metrics/metrics.ts)', () => {
    assert.deepEqual(unknown('metrics', isRegistered), []);
  });
  it('KEYGATE_* variables are read by keygate (src/config/keys.ts) or by the test harness and scripts', () => {
    const harness = new Set(
      [...filesUnder('test', ['.ts']), ...filesUnder('scripts', ['.sh', '.env'])]
        .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bKEYGATE_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0])),
    );
    const known = new Set(knownVariables());
    assert.deepEqual(unknown('variables', (v) => known.has(v) || harness.has(v)), []);
  });
  it('nested configuration keys (`cookie.secure`, `idp.*`) are keys validateConfig knows', () => {
    const paths = new Set((Object.values(KEYS) as KeySpec[]).map((s) => s.path.join('.')));
    assert.deepEqual(unknown('configKeys', (k) => paths.has(k) || (k.endsWith('.*') && SECTIONS.includes(k.slice(0, -2)))), []);
  });
  it('src/ and test/ files exist', () => {
    assert.deepEqual(unknown('files', (f) => existsSync(join(ROOT, f))), []);
  });
});

describe('links', () => {
  it('every relative link in README.md and docs/ resolves, #anchors to a heading of the linked file', () => {
    assert.deepEqual(linkProblems(ROOT, FILES), []);
  });
});
