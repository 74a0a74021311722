/**
 * The background JWKS refresh (Keycloak.jwksRefreshMs, default 5 min) picks up a rotation before the first token
 * needs it, even while forged kids hold the unknown-kid refetch in its cooldown; and a refresh that drops the old
 * key ends the tokens keygate had verified with it. Against the look-alike, which rotates on demand.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { startKeygate } from '../support/keygate.js';
import { startTestIdp } from '../support/idp.js';

const POLICY = `version: 1
default: deny
rules:
  - name: any
    paths: ["/**"]
    allow: authenticated
`;
const cleanup: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanup.reverse()) await c(); });

const withKid = (jwt: string, kid: string): string => {
  const [h, p, s] = jwt.split('.');
  const header = { ...(JSON.parse(Buffer.from(h ?? '', 'base64url').toString()) as object), kid };
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${s}`;
};

it('a rotation is picked up by the background refresh inside the unknown-kid cooldown; a dropped key ends its cached tokens', async () => {
  const idp = await startTestIdp();
  cleanup.push(() => idp.close());
  const kg = await startKeygate(idp.issuer, POLICY, { service: { keycloak: { jwksRefreshMs: 300, jwksCooldownMs: 60_000, discoveryRetryMs: 200 } } });
  cleanup.push(() => kg.close());
  const call = async (token: string): Promise<number> => (await kg.auth('GET', 'app.example.com', '/x', { authorization: `Bearer ${token}` })).status;
  const old = await idp.mintAccessToken({}, { user: 'alice' });
  assert.equal(await call(old), 200);
  // Forged kids inside the cooldown (the boot fetch started it; the next unknown-kid refetch is a minute away): 503.
  assert.equal(await call(withKid(old, 'forged')), 503);
  const res = await kg.auth('GET', 'app.example.com', '/x', { authorization: `Bearer ${withKid(old, 'forged-2')}` });
  assert.equal(res.status, 503, 'unknown kid inside the cooldown: 503, never 401');
  assert.equal(res.headers.get('retry-after'), '5');
  assert.equal((await res.json() as { error?: string }).error, 'temporarily_unavailable');

  await idp.rotateKeys({ keepOld: true });
  await new Promise((r) => setTimeout(r, 700));
  const started = Date.now();
  assert.equal(await call(await idp.mintAccessToken({}, { user: 'bob' })), 200, 'the background refresh already knows the new key');
  // An unknown kid here would get 503 at once (the next refetch is a minute away): the 200 is the background refresh's.
  assert.ok(Date.now() - started < 2_000, `answered in ${Date.now() - started} ms: no wait for a refetch`);
  assert.equal(await call(old), 200, 'the old key is still published');

  await idp.rotateKeys({ keepOld: false });
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(await call(old), 401, 'the old key left the JWKS: its cached verification is gone');
});
