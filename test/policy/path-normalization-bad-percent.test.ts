/** Regression: invalid percent-encoding has no single meaning (upstreams keep, drop or reject it): refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath } from '../../src/policy/normalize-path.js';

describe('path normalisation: invalid percent-encoding', () => {
  const table = [
    { name: 'non-hex digits', input: '/api/%zz', want: 'invalid percent-encoding "%zz" at offset 5' },
    { name: 'one hex digit then a slash', input: '/api/%4/x', want: 'invalid percent-encoding "%4/" at offset 5' },
    { name: 'truncated at the end', input: '/api/%4', want: 'invalid percent-encoding "%4" at offset 5' },
    { name: 'a lone percent sign', input: '/100%', want: 'invalid percent-encoding "%" at offset 4' },
    { name: 'a percent sign before text', input: '/100%off', want: 'invalid percent-encoding "%of" at offset 4' },
    { name: 'bytes that are not UTF-8', input: '/%FF%FE', want: 'percent-encoding does not decode to valid UTF-8' },
    { name: 'a UTF-16 surrogate encoded as UTF-8', input: '/%ED%A0%80', want: 'percent-encoding does not decode to valid UTF-8' },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(normalizePath(input), { ok: false, detail: want }));
  }
});
