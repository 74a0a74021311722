import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeRedirect } from '../../src/session/redirects.js';

const policy = { hosts: ['prefect.example.com', '*.apps.example.com'], cookieDomain: '.example.org' };
const origin = 'https://prefect.example.com';

describe('safeRedirect', () => {
  const table: Array<{ name: string; input: string | undefined; want: string | undefined }> = [
    { name: 'absolute URL to a protected host', input: 'https://prefect.example.com/runs?x=1', want: 'https://prefect.example.com/runs?x=1' },
    { name: 'wildcard host', input: 'https://argo.apps.example.com/', want: 'https://argo.apps.example.com/' },
    { name: 'host inside cookieDomain', input: 'http://temporal.example.org/ns', want: 'http://temporal.example.org/ns' },
    { name: 'the cookie domain itself', input: 'https://example.org/', want: 'https://example.org/' },
    { name: 'a path on the current host', input: '/runs/1?tab=logs', want: 'https://prefect.example.com/runs/1?tab=logs' },
    { name: 'https://evil.example', input: 'https://evil.example', want: undefined },
    { name: '//evil.example', input: '//evil.example', want: undefined },
    { name: '/\\evil.example', input: '/\\evil.example', want: undefined },
    { name: 'userinfo trick', input: 'https://prefect.example.com@evil.example/', want: undefined },
    { name: 'suffix trick', input: 'https://evilprefect.example.com/', want: undefined },
    { name: 'wildcard apex is not a subdomain', input: 'https://apps.example.com/', want: undefined },
    { name: 'javascript: URL', input: 'javascript:alert(1)', want: undefined },
    { name: 'tab inside the URL', input: 'https://prefect.example.com/\t/evil', want: undefined },
    { name: 'encoded newline is kept encoded, still same host', input: '/a%0d%0ab', want: 'https://prefect.example.com/a%0d%0ab' },
    { name: 'relative without leading slash', input: 'evil.example', want: undefined },
    { name: 'empty', input: '', want: undefined },
    { name: 'absent', input: undefined, want: undefined },
  ];
  for (const c of table) it(c.name, () => assert.equal(safeRedirect(c.input, origin, policy), c.want));
  it('a path is refused when the origin host itself is not allowed', () => {
    assert.equal(safeRedirect('/x', 'https://evil.example', policy), undefined);
  });
});
