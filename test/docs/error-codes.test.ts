import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS } from '../../src/errors.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const table = readme.slice(readme.indexOf('## Error codes'));
const rows = [...table.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => ({ code: m[1] ?? '', status: Number(m[2]) }));

test('every error code in the catalog appears in the README table with its status', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = rows.find((r) => r.code === code);
    assert.ok(row, `${code} is missing from the README's error table`);
    assert.equal(row.status, spec.status, `${code}: README says ${row.status}, catalog says ${spec.status}`);
  }
});

test('every code in the README table exists in the catalog', () => {
  assert.ok(rows.length > 0, 'the README error table was not found');
  for (const r of rows) assert.ok(r.code in ERRORS, `README lists ${r.code}, which the catalog does not have`);
});
