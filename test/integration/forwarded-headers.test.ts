import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { startTestIdp } from '../support/idp.js';
import { sample, startKeygate, type TestKeygate } from '../support/keygate.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';

let idp: KeycloakLookalike;
let kg: TestKeygate;
let untrusted: TestKeygate;
let carol: string;
let alice: string;

before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, APP_POLICY);
  untrusted = await startKeygate(idp.issuer, APP_POLICY, { env: { KEYGATE_TRUSTED_PROXIES: '10.0.0.0/8' } });
  carol = await idp.mintAccessToken({}, { user: 'carol' });
  alice = await idp.mintAccessToken({}, { user: 'alice' });
});
after(async () => {
  await kg.close();
  await untrusted.close();
  await idp.close();
});

describe('trusted proxies', () => {
  it('forwarded headers from a peer outside trustedProxies get 403 and are counted', async () => {
    const res = await untrusted.auth('GET', APP_HOST, '/api/health');
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Record<string, string>)['error'], 'access_denied');
    assert.equal(sample(await untrusted.metrics(), 'keygate_untrusted_peer_requests_total'), 1);
    assert.equal(sample(await untrusted.metrics(), 'keygate_decisions_total', { reason: 'untrusted_peer' }), 1);
  });
  it('the nginx endpoint enforces trustedProxies too', async () => {
    const res = await fetch(`${untrusted.url}/auth/nginx`, { headers: { 'x-original-url': `https://${APP_HOST}/api/health`, 'x-original-method': 'GET' } });
    assert.equal(res.status, 403);
  });
});

// Each ambiguous path is its own test: a 400, never a decision on a guessed path.
const ambiguous: Array<{ name: string; uri: string }> = [
  { name: 'encoded slash', uri: '/api%2F..%2Fadmin/x' },
  { name: 'backslash', uri: '/api/..\\admin' },
  { name: 'encoded backslash', uri: '/api/%5C../admin' },
  { name: '%00', uri: '/api/flows%00.json' },
  { name: 'invalid percent-encoding', uri: '/api/%zz' },
  { name: 'truncated percent-encoding', uri: '/api/%4' },
  { name: '.. above the root', uri: '/../admin' },
  { name: 'encoded .. above the root', uri: '/api/%2e%2e/%2e%2e/admin' },
];
describe('ambiguous paths get 400', () => {
  for (const c of ambiguous) {
    it(c.name, async () => {
      const res = await kg.auth('GET', APP_HOST, c.uri, { authorization: `Bearer ${carol}` });
      assert.equal(res.status, 400, `${c.uri}`);
      assert.equal(((await res.json()) as Record<string, string>)['error'], 'invalid_request');
    });
  }
  it('a forged second X-Forwarded-Uri is refused, not merged', async () => {
    const res = await fetch(`${kg.url}/auth`, {
      headers: [['x-forwarded-method', 'GET'], ['x-forwarded-proto', 'https'], ['x-forwarded-host', APP_HOST], ['x-forwarded-uri', '/api/health'], ['x-forwarded-uri', '/admin/users']],
    });
    assert.equal(res.status, 400);
  });
});

describe('path normalisation', () => {
  it('/api/../admin is matched as /admin', async () => {
    assert.equal((await kg.auth('GET', APP_HOST, '/api/../admin', { authorization: `Bearer ${alice}` })).status, 403);
    const ok = await kg.auth('GET', APP_HOST, '/api/../admin', { authorization: `Bearer ${carol}` });
    assert.equal(ok.status, 200);
    const line = kg.logs().filter((l) => l['msg'] === 'decision').at(-1);
    assert.equal(line?.['path'], '/admin');
    assert.equal(line?.['rule'], 'admin-api');
  });
  it('a public rule cannot be used to reach a protected path through dot-segments', async () => {
    const res = await kg.auth('GET', APP_HOST, '/api/health/../flows');
    assert.equal(res.status, 401);
  });
});

describe('/auth/nginx', () => {
  it('reads X-Original-URL and ignores a forged X-Forwarded-Uri', async () => {
    const res = await fetch(`${kg.url}/auth/nginx`, {
      headers: { 'x-original-url': `https://${APP_HOST}/admin/users`, 'x-original-method': 'GET', 'x-forwarded-uri': '/api/health', authorization: `Bearer ${alice}` },
    });
    assert.equal(res.status, 403);
  });
  it('never answers 3xx: a browser without identity gets 401', async () => {
    const res = await fetch(`${kg.url}/auth/nginx`, { redirect: 'manual', headers: { 'x-original-url': `https://${APP_HOST}/api/flows`, 'x-original-method': 'GET', accept: 'text/html', 'sec-fetch-mode': 'navigate' } });
    assert.equal(res.status, 401);
  });
});
