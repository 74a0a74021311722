/** The configuration reference (docs/configuration.md) lists exactly the keys validateConfig knows, each with its variable. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { KEYS, type KeySpec } from '../../src/config/keys.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Rows of the table under `## Reference`: the keys named in the first cell (`headers.user` / `.email` …) → the row. */
function referenceRows(): Map<string, string> {
  const text = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const start = text.indexOf('## Reference');
  const lines = text.slice(start).split('\n');
  const head = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > head && !l.startsWith('|'));
  const table = lines.slice(head, end).filter((l) => l.startsWith('| `'));
  const rows = new Map<string, string>();
  for (const line of table) {
    const first = line.split('|')[1] ?? '';
    const names = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    const section = names[0]?.includes('.') === true ? names[0].slice(0, names[0].indexOf('.')) : '';
    for (const n of names) rows.set(n.startsWith('.') ? `${section}${n}` : n, line);
  }
  return rows;
}

describe('docs/configuration.md reference', () => {
  const rows = referenceRows();
  for (const spec of Object.values(KEYS) as KeySpec[]) {
    const key = spec.path.join('.');
    it(`lists ${key}${spec.env === undefined ? '' : ` with $${spec.env}`}`, () => {
      const row = rows.get(key);
      assert.ok(row !== undefined, `no row for ${key}`);
      if (spec.env !== undefined) assert.ok(row.includes(`\`${spec.env}\``), `${key}: the row does not name ${spec.env}`);
    });
  }
  it('lists no key that validateConfig does not know', () => {
    const known = new Set((Object.values(KEYS) as KeySpec[]).map((s) => s.path.join('.')));
    assert.deepEqual([...rows.keys()].filter((k) => !known.has(k)), []);
  });
});
