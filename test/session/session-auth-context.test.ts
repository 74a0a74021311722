/** A browser session keeps the sign-in context of its access token (issue 13): azp, acr, amr and auth_time. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '../../src/identity/types.js';
import { identityOf, isSessionData, sessionFrom } from '../../src/session/session.js';

const base: Identity = { sub: 's1', username: 'alice', email: 'a@x', name: 'Alice', roles: ['viewer'], groups: [], scopes: ['openid'], via: 'bearer' };
const tokens = { accessExp: 2_000_000 };

describe('session sign-in context', () => {
  it('round-trips client, acr, amr and authTime through the cookie shape', () => {
    const s = sessionFrom({ ...base, client: 'keygate', acr: 'gold', amr: ['pwd', 'otp'], authTime: 1_700_000_000, claims: { tenant: 'acme' } }, tokens, 1_000_000);
    const opened: unknown = JSON.parse(JSON.stringify(s));
    assert.equal(isSessionData(opened), true);
    const id = identityOf(s);
    assert.deepEqual([id.client, id.acr, id.amr, id.authTime], ['keygate', 'gold', ['pwd', 'otp'], 1_700_000_000]);
    assert.equal(id.claims, undefined, 'claims stay out of the cookie');
  });

  it('a session without them (older cookies) stays valid and has none', () => {
    const s = sessionFrom(base, tokens, 1_000_000);
    assert.equal(isSessionData(JSON.parse(JSON.stringify(s))), true);
    const id = identityOf(s);
    assert.deepEqual([id.client, id.acr, id.amr, id.authTime], [undefined, undefined, undefined, undefined]);
  });

  const bad: { name: string; input: Record<string, unknown> }[] = [
    { name: 'acr not a string', input: { acr: 2 } },
    { name: 'amr not a list', input: { amr: 'otp' } },
    { name: 'amr with a number', input: { amr: ['otp', 1] } },
    { name: 'auth_time not a number', input: { atm: '1700000000' } },
    { name: 'azp not a string', input: { az: true } },
  ];
  for (const { name, input } of bad) {
    it(`refuses a cookie with ${name}`, () => {
      const s = { ...JSON.parse(JSON.stringify(sessionFrom(base, tokens, 1_000_000))), ...input } as unknown;
      assert.equal(isSessionData(s), false);
    });
  }
});
