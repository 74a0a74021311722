/** The browser 403 page says who is signed in, which rule refused and what it needs (issue 16 point 6), all escaped. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forbiddenAnswer } from '../../src/http/respond.js';

describe('forbiddenAnswer for a browser with who is signed in', () => {
  const table: { name: string; input: { rule: string; user: string; needs: string }; want: RegExp[] }[] = [
    {
      name: 'names the user, the rule and its needs',
      input: { rule: 'demo-admin', user: 'alice', needs: 'role admin' },
      want: [/signed in as <strong id="keygate-user">alice<\/strong>/, /the rule <code id="keygate-rule">demo-admin<\/code> does not let you in/, /It needs: <span id="keygate-needs">role admin<\/span>/, /href="\/_keygate\/logout"/],
    },
    {
      name: 'a user without a username is said so, not left blank',
      input: { rule: 'r', user: '', needs: 'role admin' },
      want: [/signed in as <em>an account without a username<\/em>/],
    },
    {
      name: 'escapes the username, the rule and the needs',
      input: { rule: 'r"><script>x()</script>', user: '<img src=x onerror=alert(1)>', needs: "group /a/<b>&'c'" },
      want: [/&#60;img src=x onerror=alert\(1\)&#62;/, /r&#34;&#62;&#60;script&#62;x\(\)&#60;\/script&#62;/, /group \/a\/&#60;b&#62;&#38;&#39;c&#39;/],
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const a = forbiddenAnswer(c.input.rule, 'browser', { user: c.input.user, needs: c.input.needs });
      assert.equal(a.status, 403);
      assert.equal(a.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(a.headers['content-security-policy'], "default-src 'none'");
      assert.equal(a.headers['cache-control'], 'no-store');
      assert.equal(a.headers['content-length'], String(Buffer.byteLength(a.body)));
      for (const w of c.want) assert.match(a.body, w);
      assert.doesNotMatch(a.body, /<script|<img/);
    });
  }

  it('answers an API caller the same JSON as before, whatever it is given', () => {
    const a = forbiddenAnswer('demo-admin', 'api', { user: 'alice', needs: 'role admin' });
    assert.equal(a.status, 403);
    assert.equal(a.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(a.body), { error: 'access_denied', error_description: 'access denied by rule "demo-admin"', rule: 'demo-admin' });
  });

  it('without who (a caller the handler does not know), the browser page names only the rule', () => {
    const a = forbiddenAnswer('demo-admin', 'browser');
    assert.match(a.body, /You are signed in, but access denied by rule &#34;demo-admin&#34;\./);
    assert.doesNotMatch(a.body, /keygate-user|keygate-needs/);
  });
});
