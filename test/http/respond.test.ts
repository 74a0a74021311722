import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../src/errors.js';
import { allowAnswer, errorAnswer, forbiddenAnswer, headerValue, requestKind } from '../../src/http/respond.js';
import type { HeaderNames } from '../../src/config/types.js';

const names: HeaderNames = { user: 'X-Auth-User', email: 'X-Auth-Email', subject: 'X-Auth-Subject', name: 'X-Auth-Name', roles: 'X-Auth-Roles', groups: 'X-Auth-Groups' };

describe('requestKind', () => {
  const table: Array<{ name: string; headers: Record<string, string>; want: 'browser' | 'api' }> = [
    { name: 'navigation by Sec-Fetch-Mode', headers: { 'sec-fetch-mode': 'navigate', accept: '*/*' }, want: 'browser' },
    { name: 'fetch() from a page', headers: { 'sec-fetch-mode': 'cors', accept: 'text/html' }, want: 'api' },
    { name: 'old browser navigation by Accept', headers: { accept: 'text/html,application/xhtml+xml' }, want: 'browser' },
    { name: 'XHR with X-Requested-With', headers: { accept: 'text/html', 'x-requested-with': 'XMLHttpRequest' }, want: 'api' },
    { name: 'JSON client', headers: { accept: 'application/json' }, want: 'api' },
    { name: 'curl', headers: { accept: '*/*' }, want: 'api' },
    { name: 'Authorization-bearing navigation', headers: { 'sec-fetch-mode': 'navigate', authorization: 'Bearer x' }, want: 'api' },
  ];
  for (const c of table) it(c.name, () => assert.equal(requestKind(c.headers), c.want));
});

describe('allowAnswer', () => {
  it('sends every identity header, empty ones included, and no Authorization by default', () => {
    const a = allowAnswer(names, undefined);
    assert.equal(a.status, 200);
    for (const h of Object.values(names)) assert.equal(a.headers[h], '', h);
    assert.equal(a.headers['authorization'], undefined);
  });
  it('fills headers from the identity and passes the access token when asked', () => {
    const a = allowAnswer(names, { sub: 's1', username: 'alice', email: 'a@x', name: 'Alice A', roles: ['viewer', 'prefect:op'], groups: ['/a/b'], scopes: [], via: 'session' }, 'tok');
    assert.equal(a.headers['X-Auth-User'], 'alice');
    assert.equal(a.headers['X-Auth-Roles'], 'viewer,prefect:op');
    assert.equal(a.headers['X-Auth-Groups'], '/a/b');
    assert.equal(a.headers['authorization'], 'Bearer tok');
  });
});

describe('headerValue', () => {
  it('keeps printable ASCII and percent-encodes the rest (never a header-injection or a throw)', () => {
    assert.equal(headerValue('Alice Smith'), 'Alice Smith');
    assert.equal(headerValue('José'), 'Jos%C3%A9');
    assert.equal(headerValue('a\r\nX-Evil: 1'), 'a%0D%0AX-Evil: 1');
  });
});

describe('errorAnswer', () => {
  it('401 without a token: plain Bearer challenge', () => {
    const a = errorAnswer(new AuthError('ERR_NO_CREDENTIALS'), false);
    assert.equal(a.status, 401);
    assert.equal(a.headers['www-authenticate'], 'Bearer realm="keygate"');
    assert.deepEqual(JSON.parse(a.body), { error: 'unauthorized', error_description: 'authentication required' });
  });
  it('401 for a presented bad token carries error="invalid_token"', () => {
    const a = errorAnswer(new AuthError('ERR_TOKEN_EXPIRED', { detail: 'secret detail' }), true);
    assert.match(String(a.headers['www-authenticate']), /^Bearer realm="keygate", error="invalid_token"/);
    assert.ok(!a.body.includes('secret detail'), 'private detail must never be sent');
  });
  it('503 for an unavailable IdP, with Retry-After', () => {
    const a = errorAnswer(new AuthError('ERR_IDP_UNAVAILABLE'), true);
    assert.equal(a.status, 503);
    assert.equal(a.headers['retry-after'], '5');
  });
});

describe('forbiddenAnswer', () => {
  it('names the rule in JSON for APIs', () => {
    const a = forbiddenAnswer('prefect-run', 'api');
    assert.equal(a.status, 403);
    assert.equal(JSON.parse(a.body).rule, 'prefect-run');
  });
  it('answers HTML for browsers', () => {
    const a = forbiddenAnswer('prefect-run', 'browser');
    assert.match(String(a.headers['content-type']), /text\/html/);
    assert.match(a.body, /prefect-run/);
  });
});
