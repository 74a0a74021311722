/** Regression: a backslash is a separator to some upstreams (IIS, Windows) and a character to others: refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath } from '../../src/policy/normalize-path.js';

describe('path normalisation: backslash', () => {
  const table = [
    { name: 'a raw backslash', input: '/api\\admin', want: 'backslash at offset 4' },
    { name: 'a raw backslash traversal', input: '/api/..\\admin', want: 'backslash at offset 7' },
    { name: 'an encoded backslash %5C', input: '/api%5Cadmin', want: 'encoded backslash "%5C" at offset 4' },
    { name: 'an encoded backslash %5c', input: '/api%5cadmin', want: 'encoded backslash "%5c" at offset 4' },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(normalizePath(input), { ok: false, detail: want }));
  }
});
