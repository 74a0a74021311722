import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAuthError } from '../../src/errors.js';
import { nginxTarget, originalUrl, traefikTarget } from '../../src/http/target.js';

const fwd = (over: Record<string, string | undefined>) => ({
  'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'Prefect.Example.com:8443', 'x-forwarded-uri': '/api/flows?limit=5',
  ...over,
});

function badTarget(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isAuthError(err), 'expected an AuthError');
    assert.equal(err.code, 'ERR_BAD_TARGET');
    return err.detail ?? '';
  }
  assert.fail('expected ERR_BAD_TARGET');
}

describe('traefikTarget', () => {
  it('reads method, scheme, host (lower-case, port dropped), path and query', () => {
    const t = traefikTarget(fwd({}));
    assert.deepEqual(t, { method: 'GET', scheme: 'https', host: 'prefect.example.com', authority: 'Prefect.Example.com:8443', path: '/api/flows', query: 'limit=5', rawUri: '/api/flows?limit=5' });
    assert.equal(originalUrl(t), 'https://Prefect.Example.com:8443/api/flows?limit=5');
  });
  it('resolves dot-segments before matching', () => {
    assert.equal(traefikTarget(fwd({ 'x-forwarded-uri': '/api/../admin' })).path, '/admin');
  });
  const rejected: Array<{ name: string; headers: Record<string, string | undefined>; detail: RegExp }> = [
    { name: 'missing method', headers: { 'x-forwarded-method': undefined }, detail: /method/ },
    { name: 'two joined methods (duplicate header)', headers: { 'x-forwarded-method': 'GET, POST' }, detail: /method/ },
    { name: 'bad scheme', headers: { 'x-forwarded-proto': 'ftp' }, detail: /scheme/ },
    { name: 'two joined hosts', headers: { 'x-forwarded-host': 'a.example.com, b.example.com' }, detail: /host/ },
    { name: 'host with a path', headers: { 'x-forwarded-host': 'a.example.com/x' }, detail: /host/ },
    { name: 'missing uri', headers: { 'x-forwarded-uri': undefined }, detail: /URI/ },
    { name: 'absolute-form uri', headers: { 'x-forwarded-uri': 'http://evil/' }, detail: /URI/ },
    { name: 'two joined uris (duplicate header)', headers: { 'x-forwarded-uri': '/public, /admin' }, detail: /URI/ },
    { name: 'encoded slash', headers: { 'x-forwarded-uri': '/api%2Fadmin' }, detail: /./ },
    { name: 'dot-dot above root', headers: { 'x-forwarded-uri': '/../etc' }, detail: /./ },
  ];
  for (const c of rejected) {
    it(`rejects ${c.name} with ERR_BAD_TARGET`, () => {
      assert.match(badTarget(() => traefikTarget(fwd(c.headers))), c.detail);
    });
  }
});

describe('nginxTarget', () => {
  it('reads X-Original-URL and X-Original-Method and ignores X-Forwarded-Uri', () => {
    const t = nginxTarget({ 'x-original-url': 'http://argo.example.com/api/v1/workflows/ns?x=1', 'x-original-method': 'post', 'x-forwarded-uri': '/public' });
    assert.equal(t.method, 'POST');
    assert.equal(t.scheme, 'http');
    assert.equal(t.host, 'argo.example.com');
    assert.equal(t.path, '/api/v1/workflows/ns');
    assert.equal(t.query, 'x=1');
  });
  it('accepts a URL without a path as /', () => {
    assert.equal(nginxTarget({ 'x-original-url': 'https://a.example.com', 'x-original-method': 'GET' }).path, '/');
  });
  for (const url of [undefined, '/relative', 'ftp://a/b', 'https://a.example.com/x y', 'https://a b/']) {
    it(`rejects X-Original-URL ${JSON.stringify(url)}`, () => {
      badTarget(() => nginxTarget({ 'x-original-method': 'GET', ...(url === undefined ? {} : { 'x-original-url': url }) }));
    });
  }
});
