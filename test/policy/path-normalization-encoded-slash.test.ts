/** Regression: an encoded slash is ambiguous (is `a%2Fb` one segment or two upstream?) and is refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath } from '../../src/policy/normalize-path.js';

describe('path normalisation: encoded slash', () => {
  const table = [
    { name: 'upper-case %2F', input: '/api/a%2Fb', want: 'encoded slash "%2F" at offset 6' },
    { name: 'lower-case %2f', input: '/api/a%2fb', want: 'encoded slash "%2f" at offset 6' },
    { name: 'encoded slash hiding a traversal', input: '/api/..%2Fadmin', want: 'encoded slash "%2F" at offset 7' },
    { name: 'at the start', input: '/%2F', want: 'encoded slash "%2F" at offset 1' },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(normalizePath(input), { ok: false, detail: want }));
  }
  it('a double-encoded slash is refused: an upstream that decodes twice would see a slash (issue #12)', () => {
    assert.deepEqual(normalizePath('/api/a%252Fb'), { ok: false, detail: 'double-encoded "%252F" at offset 6: an upstream that decodes twice would read another path' });
  });
});
