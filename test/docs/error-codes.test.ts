import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS } from '../../src/errors.js';

/** The error table lives in docs/error-codes.md (tests run from dist/test/docs). */
const table = readFileSync(new URL('../../../docs/error-codes.md', import.meta.url), 'utf8');
const rows = [...table.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => ({ code: m[1] ?? '', status: Number(m[2]) }));

test('every error code in the catalog appears in the error table with its status', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = rows.find((r) => r.code === code);
    assert.ok(row, `${code} is missing from docs/error-codes.md`);
    assert.equal(row.status, spec.status, `${code}: docs/error-codes.md says ${row.status}, catalog says ${spec.status}`);
  }
});

test('every code in the error table exists in the catalog', () => {
  assert.ok(rows.length > 0, 'the error table in docs/error-codes.md was not found');
  for (const r of rows) assert.ok(r.code in ERRORS, `docs/error-codes.md lists ${r.code}, which the catalog does not have`);
});
