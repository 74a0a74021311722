/**
 * Real Keycloak, realm kg-rotation: key rotation through the admin REST API (REAL-SYSTEMS.md §A.7) while forged
 * tokens with random kids keep arriving, against a keygate with the production JWKS cooldown (10 s).
 * - a new `rsa-generated` provider with a higher priority signs at once: its tokens are never answered 401, and are
 *   accepted within cooldown + one fetch;
 * - tokens of the old key verify while it is passive (`active=false`, still published);
 * - once it is disabled (`enabled=false`, gone from the JWKS) they are refused, also those keygate had verified and
 *   cached before.
 * The two providers the test adds are deleted afterwards (and any left over by an interrupted run, before).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it, type TestContext } from 'node:test';
import { startKeygate, type TestKeygate } from '../../support/keygate.js';
import { realKeycloak, type RealKeycloak } from '../../support/keycloak.js';

const REALM = 'kg-rotation';
const PREFIX = 'kg-rotation-test-';
const POLICY = `version: 1
default: deny
rules:
  - name: read
    paths: ["/api/**"]
    allow: { anyRole: [viewer, engineer] }
`;
const KEYGATE = { id: 'keygate', secret: 'keygate-secret' };
const COOLDOWN_MS = 10_000;

interface Component { id: string; name: string; providerId: string; providerType: string; parentId: string; config: Record<string, string[]> }
interface RealmKey { kid: string; providerId: string; status: string; algorithm?: string; use?: string }

const kidOf = (jwt: string): string => String((JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()) as { kid?: string }).kid);
/** A real token's header with another kid: what an attacker sends to force JWKS refetches (its signature is Keycloak's, for another kid). */
const withKid = (jwt: string, kid: string): string => {
  const [h, p, s] = jwt.split('.');
  const header = { ...(JSON.parse(Buffer.from(h ?? '', 'base64url').toString()) as object), kid };
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${s}`;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function providers(kc: RealKeycloak): Promise<Component[]> {
  return await kc.admin('GET', `/${REALM}/components?type=org.keycloak.keys.KeyProvider`) as Component[];
}
async function addProvider(kc: RealKeycloak, name: string, priority: number): Promise<Component> {
  const realm = await kc.admin('GET', `/${REALM}`) as { id: string };
  await kc.admin('POST', `/${REALM}/components`, {
    name: PREFIX + name, providerId: 'rsa-generated', providerType: 'org.keycloak.keys.KeyProvider', parentId: realm.id,
    config: { priority: [String(priority)], enabled: ['true'], active: ['true'], algorithm: ['RS256'], keySize: ['2048'] },
  });
  const c = (await providers(kc)).find((p) => p.name === PREFIX + name);
  if (c === undefined) throw new Error(`provider ${name} not created`);
  return c;
}
async function setConfig(kc: RealKeycloak, c: Component, key: 'active' | 'enabled', value: boolean): Promise<void> {
  const now = await kc.admin('GET', `/${REALM}/components/${c.id}`) as Component;
  await kc.admin('PUT', `/${REALM}/components/${c.id}`, { ...now, config: { ...now.config, [key]: [String(value)] } });
}
async function kidOfProvider(kc: RealKeycloak, c: Component): Promise<string> {
  const keys = (await kc.admin('GET', `/${REALM}/keys`) as { keys: RealmKey[] }).keys;
  const k = keys.find((x) => x.providerId === c.id && x.algorithm === 'RS256');
  if (k === undefined) throw new Error(`no RS256 key for provider ${c.name}`);
  return k.kid;
}
async function published(kc: RealKeycloak): Promise<string[]> {
  const res = await fetch(`${kc.issuer(REALM)}/protocol/openid-connect/certs`);
  return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
}
async function removeTestProviders(kc: RealKeycloak): Promise<void> {
  for (const p of await providers(kc)) if (p.name.startsWith(PREFIX)) await kc.admin('DELETE', `/${REALM}/components/${p.id}`);
}

describe('real Keycloak 26: key rotation through the admin API under a flood of forged kids (realm kg-rotation)', () => {
  let kc: RealKeycloak | undefined;
  let kg: TestKeygate | undefined;
  after(async () => {
    await kg?.close();
    if (kc !== undefined) await removeTestProviders(kc);
  });

  it('new key accepted within cooldown + one fetch (never 401), old key verifies while passive, refused once disabled', async (t: TestContext) => {
    kc = await realKeycloak(t, REALM);
    if (kc === undefined) return;
    await removeTestProviders(kc);
    const oldProvider = await addProvider(kc, 'old', 150);
    const oldKid = await kidOfProvider(kc, oldProvider);
    const bob = () => kc!.password(REALM, KEYGATE, 'bob', 'bob-password').then((s) => s.access_token);
    const [old1, old2] = [await bob(), await bob()];
    assert.equal(kidOf(old1), oldKid, 'the provider with the highest priority signs');

    kg = await startKeygate(kc.issuer(REALM), POLICY, { service: { keycloak: { jwksCooldownMs: COOLDOWN_MS, discoveryRetryMs: 200 } } });
    const call = async (token: string): Promise<number> => (await kg!.auth('GET', 'prefect.example.com', '/api/flows', { authorization: `Bearer ${token}` })).status;
    assert.equal(await call(old1), 200);

    // The attacker: 4 senders of tokens with random kids, without pause, for the whole test.
    const forged = new Map<number, number>();
    let flooding = true;
    const flood = Promise.all(Array.from({ length: 4 }, async () => {
      while (flooding) {
        const status = await call(withKid(old1, randomUUID()));
        forged.set(status, (forged.get(status) ?? 0) + 1);
        if (status === 503) await sleep(5);
      }
    }));
    try {
      await sleep(500);
      assert.ok((forged.get(401) ?? 0) + (forged.get(503) ?? 0) > 0, 'the flood is running');

      // Rotation: a new provider with a higher priority signs at once.
      const newProvider = await addProvider(kc, 'new', 200);
      const rotatedAt = Date.now();
      const fresh = await bob();
      assert.equal(kidOf(fresh), await kidOfProvider(kc, newProvider), 'Keycloak signs with the new key at once');
      const attempts: number[] = [];
      // A client that retries on 503 (every 250 ms here, sooner than Retry-After), bounded.
      while (Date.now() - rotatedAt < COOLDOWN_MS + 10_000) {
        const s = await call(fresh);
        attempts.push(s);
        if (s !== 503) break;
        await sleep(250);
      }
      const acceptedAfter = Date.now() - rotatedAt;
      assert.equal(attempts.at(-1), 200, `the new key's token: ${attempts.join(',')}`);
      assert.ok(!attempts.includes(401), `never 401 for the new key: ${attempts.join(',')}`);
      assert.ok(acceptedAfter <= COOLDOWN_MS + 6_000, `accepted ${acceptedAfter} ms after the rotation`);
      t.diagnostic(`new key accepted ${acceptedAfter} ms after the rotation, after ${attempts.length - 1} answers of 503; forged so far: ${JSON.stringify(Object.fromEntries(forged))}`);

      // The old key passive: still published, its tokens still verify (old2 is verified for the first time here).
      await setConfig(kc, oldProvider, 'active', false);
      assert.notEqual(kidOf(await bob()), oldKid);
      assert.ok((await published(kc)).includes(oldKid), 'a passive key stays in the JWKS');
      assert.equal(await call(old2), 200);
      assert.equal(await call(old1), 200);

      // The old key disabled: gone from the JWKS; keygate learns it at its next refetch (the flood's, within the
      // cooldown) and drops what it had verified with it.
      await setConfig(kc, oldProvider, 'enabled', false);
      assert.ok(!(await published(kc)).includes(oldKid), 'a disabled key leaves the JWKS');
      const disabledAt = Date.now();
      let refusedAfter = -1;
      const seen: number[] = [];
      while (Date.now() - disabledAt < COOLDOWN_MS + 10_000) {
        const s = await call(old1);
        seen.push(s);
        if (s === 401) {
          refusedAfter = Date.now() - disabledAt;
          break;
        }
        await sleep(250);
      }
      assert.ok(refusedAfter >= 0, `a token of the disabled key, verified and cached before, is refused: ${seen.join(',')}`);
      assert.deepEqual(seen.filter((s) => s !== 200 && s !== 401), [], 'a token of a key keygate saw removed gets 401 at once (the client fetches a new one), not 503');
      assert.equal(await call(old2), 401);
      assert.equal(await call(fresh), 200, 'the new key still verifies');
      t.diagnostic(`old key's tokens refused ${refusedAfter} ms after it was disabled`);
    } finally {
      flooding = false;
      await flood;
    }
    t.diagnostic(`forged requests by status: ${JSON.stringify(Object.fromEntries(forged))}`);
    assert.equal(forged.get(200) ?? 0, 0, 'no forged token was ever accepted');
    assert.deepEqual([...forged.keys()].filter((s) => s !== 401 && s !== 503), []);
  });
});
