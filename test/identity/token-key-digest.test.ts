/** Pins tokenKey's digest (SHA-256 of the UTF-8 token, base64url), whichever Node API computes it (issue #5). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { tokenKey } from '../../src/identity/token-cache.js';

describe('tokenKey', () => {
  for (const token of ['', 'a.b.c', 'ü€𝄞 non-ASCII', 'x'.repeat(4096)]) {
    it(`hashes ${JSON.stringify(token.slice(0, 12))} (${token.length} chars) like createHash`, () => {
      assert.equal(tokenKey(token), createHash('sha256').update(token, 'utf8').digest('base64url'));
    });
  }
});
