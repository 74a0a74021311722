/** Regression (issue #12 point 10): no role or group name can forge another item of X-Auth-Roles / X-Auth-Groups. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerListValue } from '../../src/http/respond.js';

/** How an upstream is told to read the header: split on ",", then percent-decode each item. */
const read = (header: string): string[] => (header === '' ? [] : header.split(',').map(decodeURIComponent));

describe('headerListValue', () => {
  const table: Array<{ name: string; input: string[]; want: string }> = [
    { name: 'plain Keycloak roles are sent as they are', input: ['viewer', 'prefect:operator'], want: 'viewer,prefect:operator' },
    { name: 'a role containing the separator', input: ['a,prefect-admin', 'viewer'], want: 'a%2Cprefect-admin,viewer' },
    { name: 'a percent sign is escaped, so nothing decodes into a comma', input: ['a%2Cprefect-admin'], want: 'a%252Cprefect-admin' },
    { name: 'group paths keep slashes and inner spaces', input: ['/platform/admins', '/Data Team/A'], want: '/platform/admins,/Data Team/A' },
    { name: 'leading and trailing spaces (a trimming reader would drop them)', input: [' prefect-admin', 'viewer '], want: '%20prefect-admin,viewer%20' },
    { name: 'non-ASCII as UTF-8', input: ['é', '😀'], want: '%C3%A9,%F0%9F%98%80' },
    { name: 'control characters', input: ['a\tb', 'c\u007fd'], want: 'a%09b,c%7Fd' },
    { name: 'no items', input: [], want: '' },
  ];
  for (const c of table) {
    it(c.name, () => {
      assert.equal(headerListValue(c.input), c.want);
      assert.deepEqual(read(headerListValue(c.input)), c.input, 'the reader gets every item back, and only those');
    });
  }
  it('is a valid header value (visible ASCII and inner spaces only)', () => {
    assert.match(headerListValue(['a,b', ' c ', 'é\u0000']), /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/);
  });
});
