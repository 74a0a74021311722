import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startTestIdp } from '../support/idp.js';
import { startKeygate } from '../support/keygate.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('identity provider outage', () => {
  it('with a warm cache, valid tokens are still decided correctly while the IdP is down', async () => {
    const idp = await startTestIdp();
    const kg = await startKeygate(idp.issuer, APP_POLICY);
    cleanups.push(() => idp.close(), () => kg.close());
    const seen = await idp.mintAccessToken({}, { user: 'alice' });
    const fresh = await idp.mintAccessToken({ jti: 'fresh-one' }, { user: 'alice' });
    const denied = await idp.mintAccessToken({}, { user: 'alice' });
    assert.equal((await kg.auth('GET', APP_HOST, '/api/flows', bearer(seen))).status, 200);
    await idp.stop();
    assert.equal((await kg.auth('GET', APP_HOST, '/api/flows', bearer(seen))).status, 200, 'cached verification');
    assert.equal((await kg.auth('GET', APP_HOST, '/api/flows', bearer(fresh))).status, 200, 'new token, cached key');
    assert.equal((await kg.auth('POST', APP_HOST, '/api/flows/x', bearer(denied))).status, 403, 'denials still hold');
    assert.equal((await kg.auth('GET', APP_HOST, '/api/flows', bearer('garbage.token.here'))).status, 401);
    await idp.start();
  });

  it('with a cold cache, the answer is 503, never 200, and /readyz fails until the IdP is back', async () => {
    const idp = await startTestIdp();
    const token = await idp.mintAccessToken({}, { user: 'alice' });
    await idp.stop();
    const kg = await startKeygate(idp.issuer, APP_POLICY);
    cleanups.push(() => idp.close(), () => kg.close());
    const res = await kg.auth('GET', APP_HOST, '/api/flows', bearer(token));
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as Record<string, string>)['error'], 'temporarily_unavailable');
    assert.equal((await fetch(`${kg.url}/readyz`)).status, 503);
    assert.equal((await kg.auth('GET', APP_HOST, '/api/health')).status, 200, 'public rules need no IdP');
    await idp.start();
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await fetch(`${kg.url}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(`${kg.url}/readyz`)).status, 200);
    assert.equal((await kg.auth('GET', APP_HOST, '/api/flows', bearer(token))).status, 200);
  });
});
