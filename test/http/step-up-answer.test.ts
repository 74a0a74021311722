/** The RFC 9470 step-up answer (issue 13 point 3): exact WWW-Authenticate and body, values kept inside their quotes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stepUpAnswer } from '../../src/http/respond.js';

describe('stepUpAnswer', () => {
  const prefix = 'Bearer realm="keygate", error="insufficient_user_authentication", error_description="a more recent or stronger sign-in is required"';
  const table: { name: string; input: { acr: string[] | undefined; maxAge: number | undefined }; want: string }[] = [
    { name: 'max_age only', input: { acr: undefined, maxAge: 300 }, want: `${prefix}, max_age=300` },
    { name: 'acr_values only', input: { acr: ['gold', 'silver'], maxAge: undefined }, want: `${prefix}, acr_values="gold silver"` },
    { name: 'both', input: { acr: ['gold'], maxAge: 60 }, want: `${prefix}, acr_values="gold", max_age=60` },
    { name: 'a quote in an acr value cannot break out', input: { acr: ['a"b\\c'], maxAge: undefined }, want: `${prefix}, acr_values="abc"` },
  ];
  for (const { name, input, want } of table) {
    it(name, () => {
      const a = stepUpAnswer('r', input);
      assert.equal(a.status, 401);
      assert.equal(a.headers['www-authenticate'], want);
      assert.deepEqual(JSON.parse(a.body), { error: 'insufficient_user_authentication', error_description: 'a more recent or stronger sign-in is required', rule: 'r' });
    });
  }
});
