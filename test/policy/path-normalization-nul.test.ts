/** Regression: NUL truncates paths in C upstreams (`/admin%00.png` → `/admin`): refused, raw or encoded. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath } from '../../src/policy/normalize-path.js';

describe('path normalisation: NUL', () => {
  const table = [
    { name: 'encoded %00', input: '/admin%00.png', want: 'encoded NUL "%00" at offset 6' },
    { name: 'encoded %00 at the end', input: '/api/items%00', want: 'encoded NUL "%00" at offset 10' },
    { name: 'a raw NUL', input: '/admin\u0000.png', want: 'control character 0x00 at offset 6' },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(normalizePath(input), { ok: false, detail: want }));
  }
});
