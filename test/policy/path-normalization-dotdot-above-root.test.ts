/** Regression: `..` above the root is refused (some upstreams clamp, others serve files outside the root). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath } from '../../src/policy/normalize-path.js';

describe('path normalisation: ".." above the root', () => {
  const table = [
    { name: 'at the start', input: '/../admin' },
    { name: 'after one segment', input: '/api/../../admin' },
    { name: 'encoded dots', input: '/%2e%2e/admin' },
    { name: 'mixed-case encoded dots', input: '/api/%2E%2e/%2e./etc/passwd' },
    { name: 'just "/.."', input: '/..' },
    { name: 'after "." segments', input: '/./../x' },
  ];
  for (const { name, input } of table) {
    it(name, () => assert.deepEqual(normalizePath(input), { ok: false, detail: '".." climbs above the root' }));
  }
});
