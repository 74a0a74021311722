/**
 * Every shipped realm export (examples/<name>/realm.json, the demo realm, any under deploy/) against real Keycloak:
 * the realm is there after boot (imported by --import-realm; the boot log shows no import error), every user gets a
 * token by password and every service account by client credentials, and the token's roles and groups are the ones
 * the example's cases.yaml names for that user. Each case of a realm user is then decided by a real keygate with the
 * example's policy.yaml on the real token, with the outcome the case expects.
 * The shipped keygate clients have direct grants off: the test turns them on through the admin API and back off.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { keycloakRoles } from '../../../src/identity/claims.js';
import { startKeygate } from '../../support/keygate.js';
import { AdminError, jwtPayload, realKeycloak, type RealKeycloak } from '../../support/keycloak.js';
import { realmName, shippedRealmFiles } from '../../support/realms.js';
import { isRecord, list, record, str } from '../../support/shape.js';

interface RealmUser { username: string; password?: string; serviceAccountClientId?: string }
interface RealmClient { id?: string; clientId: string; secret?: string; serviceAccountsEnabled?: boolean; directAccessGrantsEnabled?: boolean }
/** A case of cases.yaml that names only a user, roles and groups (others test contexts a password grant cannot give). */
interface UserCase { name: string; user: string; roles: string[]; groups: string[]; method: string; url: string; expect: string; rule?: string }

const WANT_STATUS: Record<string, number> = { allow: 200, deny: 403 };

function userCases(file: string): UserCase[] {
  if (!existsSync(file)) return [];
  const doc = record(parse(readFileSync(file, 'utf8')) as unknown, file);
  const out: UserCase[] = [];
  for (const raw of list(doc['cases'] ?? [], 'cases')) {
    const c = record(raw, 'case');
    const id = c['identity'];
    if (!isRecord(id) || Object.keys(id).some((k) => !['user', 'roles', 'groups'].includes(k))) continue;
    const req = record(c['request'], 'request');
    if (Object.keys(req).some((k) => !['method', 'url'].includes(k))) continue;
    out.push({
      name: str(c['name'], 'name'), user: str(id['user'], 'user'),
      roles: list(id['roles'] ?? [], 'roles').map((r) => str(r, 'role')), groups: list(id['groups'] ?? [], 'groups').map((g) => str(g, 'group')),
      method: str(req['method'], 'method'), url: str(req['url'], 'url'), expect: str(c['expect'], 'expect'),
      ...(typeof c['rule'] === 'string' ? { rule: c['rule'] } : {}),
    });
  }
  return out;
}

/** Role and group names (patterns: `*` and `{var}` match within a name) under the policy's anyRole, allRoles and anyGroup. */
function namedByPolicy(file: string): { roles: RegExp[]; groups: string[] } {
  const roles: RegExp[] = [];
  const groups: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    if (!isRecord(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'anyRole' || k === 'allRoles') && Array.isArray(v)) {
        for (const r of v) if (typeof r === 'string') roles.push(new RegExp(`^${r.split(/\*|\{[^}]*\}/).map((p) => p.replace(/[.+?^$()|[\]\\]/g, '\\$&')).join('[^:]*')}$`));
      } else if (k === 'anyGroup' && Array.isArray(v)) {
        for (const g of v) if (typeof g === 'string') groups.push(g);
      } else walk(v);
    }
  };
  walk(parse(readFileSync(file, 'utf8')) as unknown);
  return { roles, groups };
}

/** The realm exists; in a suite-booted Keycloak it must come from --import-realm, with no import error in the log. */
async function realmAfterBoot(t: TestContext, realm: string): Promise<RealKeycloak | undefined> {
  const kc = await realKeycloak(t);
  if (kc === undefined) return undefined;
  const log = process.env['KEYGATE_TEST_KEYCLOAK_LOG'];
  if (log === undefined) {
    // A Keycloak started by hand (KEYGATE_TEST_KEYCLOAK): a missing realm is imported through the admin API, which
    // validates the export just as strictly; the boot log is not ours to read.
    t.diagnostic(`Keycloak not booted by the suite: ${realm} checked (or imported) through the admin API; boot log not read`);
    return realKeycloak(t, realm);
  }
  try {
    await kc.admin('GET', `/${realm}`);
  } catch (err) {
    if (err instanceof AdminError && err.status === 404) assert.fail(`realm ${realm} was not imported at boot\n${kc.logTail()}`);
    throw err;
  }
  // The boot part of the log (up to "… started in 12.3s"): realm imports happen there, before any test's traffic.
  const lines = readFileSync(log, 'utf8').split('\n');
  const started = lines.findIndex((l) => /\bstarted in [\d.]+s\b/.test(l));
  const boot = started === -1 ? lines : lines.slice(0, started + 1);
  const errors = boot.filter((l) => /\b(ERROR|FATAL)\b/.test(l));
  assert.deepEqual(errors, [], `Keycloak's boot log shows errors (realm ${realm})`);
  // ImportUtils logs this line once the realm is in (Keycloak 26.7.3, --import-realm on a fresh database).
  assert.ok(boot.some((l) => l.includes(`Realm '${realm}' imported`)), `Keycloak's boot log has no "Realm '${realm}' imported"`);
  return kc;
}

for (const file of shippedRealmFiles()) {
  const realm = realmName(file);
  const dir = dirname(file);
  const label = `${basename(dir)}/${basename(file)}`;
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { clients: RealmClient[]; users?: RealmUser[] };
  const keygate = doc.clients.find((c) => c.clientId === 'keygate');
  const passwordOf = (u: unknown): string | undefined => {
    const cred = list(record(u, 'user')['credentials'] ?? [], 'credentials').map((c) => record(c, 'credential')).find((c) => c['type'] === 'password');
    return typeof cred?.['value'] === 'string' ? cred['value'] : undefined;
  };
  const users = (doc.users ?? []).filter((u) => u.serviceAccountClientId === undefined).map((u) => ({ username: u.username, password: passwordOf(u) }));
  const accounts = doc.clients.filter((c) => c.serviceAccountsEnabled === true && typeof c.secret === 'string');
  const cases = userCases(join(dir, 'cases.yaml'));

  describe(`real Keycloak 26: shipped realm ${label} (realm ${realm})`, () => {
    it(`imports; every user and service account gets a token with the roles and groups cases.yaml names; keygate decides their cases as expected`, async (t) => {
      const kc = await realmAfterBoot(t, realm);
      if (kc === undefined) return;
      assert.ok(keygate?.secret !== undefined, `${label} has no confidential keygate client`);
      const uuid = await kc.clientUuid(realm, 'keygate');
      const shipped = await kc.admin('GET', `/${realm}/clients/${uuid}`) as RealmClient;
      // As shipped (a long-running Keycloak may hold what another test set: that is what gets restored).
      assert.equal(keygate.directAccessGrantsEnabled ?? false, false, `${label}: the shipped keygate client must not allow password grants`);
      await kc.admin('PUT', `/${realm}/clients/${uuid}`, { ...shipped, directAccessGrantsEnabled: true });
      const tokens = new Map<string, string>();
      try {
        for (const u of users) {
          assert.ok(u.password !== undefined, `${label}: user ${u.username} has no password`);
          tokens.set(u.username, (await kc.password(realm, { id: 'keygate', secret: keygate.secret }, u.username, u.password)).access_token);
        }
      } finally {
        await kc.admin('PUT', `/${realm}/clients/${uuid}`, shipped);
      }
      for (const c of accounts) tokens.set(`service-account-${c.clientId}`.toLowerCase(), (await kc.clientCredentials(realm, c.clientId, c.secret ?? '')).access_token);
      t.diagnostic(`${tokens.size} tokens: ${[...tokens.keys()].join(', ')}`);

      // Every user and service account holds, in its real token, the roles its realm entry grants (directly or
      // through its groups' role mappings) and at least one role or group the policy names.
      const policyFile = join(dir, 'policy.yaml');
      const named = existsSync(policyFile) ? namedByPolicy(policyFile) : undefined;
      for (const [who, token] of tokens) {
        const claims = jwtPayload(token);
        assert.equal(claims['preferred_username'], who);
        const roles = keycloakRoles(claims);
        const entry = (doc.users ?? []).find((u) => u.username === who) as Record<string, unknown> | undefined;
        for (const r of list(entry?.['realmRoles'] ?? [], 'realmRoles')) assert.ok(roles.includes(str(r, 'role')), `${label}: ${who}'s token lacks realm role ${String(r)}`);
        for (const [client, rs] of Object.entries(isRecord(entry?.['clientRoles']) ? entry['clientRoles'] : {})) {
          for (const r of list(rs, 'clientRoles')) assert.ok(roles.includes(`${client}:${str(r, 'role')}`), `${label}: ${who}'s token lacks client role ${client}:${String(r)}`);
        }
        if (named === undefined) continue;
        const groups = Array.isArray(claims['groups']) ? claims['groups'] as string[] : [];
        const ok = roles.some((r) => named.roles.some((re) => re.test(r))) || groups.some((g) => named.groups.some((n) => g === n || g.startsWith(`${n}/`)));
        assert.ok(ok, `${label}: ${who}'s token (roles ${roles.join(', ')}; groups ${groups.join(', ')}) holds nothing the policy names`);
      }

      // The roles and groups cases.yaml gives each realm user are in that user's real token.
      const checked = new Set<string>();
      for (const c of cases) {
        const token = tokens.get(c.user);
        if (token === undefined) continue; // a user the cases invent (dave, pia …): not in the realm
        const claims = jwtPayload(token);
        const roles = keycloakRoles(claims);
        const groups = Array.isArray(claims['groups']) ? claims['groups'] as string[] : [];
        for (const r of c.roles) assert.ok(roles.includes(r), `${label}: ${c.user}'s token lacks role ${r} (case "${c.name}"); it has ${roles.join(', ')}`);
        for (const g of c.groups) assert.ok(groups.includes(g), `${label}: ${c.user}'s token lacks group ${g} (case "${c.name}"); it has ${groups.join(', ')}`);
        checked.add(c.user);
      }
      const unnamed = [...tokens.keys()].filter((u) => !checked.has(u) && cases.length > 0);
      t.diagnostic(`checked against cases.yaml: ${[...checked].join(', ')}${unnamed.length > 0 ? `; named by no case: ${unnamed.join(', ')}` : ''}`);
      if (cases.length > 0) assert.ok(checked.size > 0, `${label}: no case of cases.yaml names a user of the realm`);

      // The same cases, decided by a real keygate with the example's policy, on the real tokens.
      if (named === undefined) return;
      const kg = await startKeygate(kc.issuer(realm), readFileSync(policyFile, 'utf8'), {
        env: { KEYGATE_CLIENT_SECRET: keygate.secret, KEYGATE_AUTHORIZED_PARTIES: doc.clients.map((c) => c.clientId).join(',') },
      });
      t.after(() => kg.close());
      let decided = 0;
      for (const c of cases) {
        const token = tokens.get(c.user);
        const want = WANT_STATUS[c.expect];
        if (token === undefined || want === undefined) continue;
        const url = new URL(c.url);
        const res = await kg.auth(c.method, url.host, `${url.pathname}${url.search}`, { authorization: `Bearer ${token}`, accept: 'application/json' });
        const line = kg.logs().filter((l) => l['msg'] === 'decision').at(-1);
        assert.equal(res.status, want, `${label}: case "${c.name}" with ${c.user}'s real token: ${res.status} ${JSON.stringify(line)}`);
        if (c.rule !== undefined) assert.equal(line?.['rule'], c.rule, `${label}: case "${c.name}"`);
        decided++;
      }
      t.diagnostic(`${decided} cases decided on real tokens`);
    });
  });
}

describe('real Keycloak 26: the demo realm export and the look-alike differ on redirect URI wildcards', () => {
  it('Keycloak honours "*" only at the end of a redirect URI: a *.localhost callback (the look-alike accepts it) is refused', async (t) => {
    const kc = await realKeycloak(t, 'demo');
    if (kc === undefined) return;
    const authorize = async (redirect: string): Promise<number> => {
      const q = new URLSearchParams({ client_id: 'keygate', response_type: 'code', scope: 'openid', code_challenge_method: 'S256', code_challenge: 'x'.repeat(43), redirect_uri: redirect });
      const res = await fetch(`${kc.issuer('demo')}/protocol/openid-connect/auth?${q}`, { redirect: 'manual' });
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await authorize('http://127.0.0.1:4181/_keygate/callback'), 200, 'loopback callbacks match http://127.0.0.1:*');
    assert.equal(await authorize('http://localhost:4181/_keygate/callback'), 200);
    assert.equal(await authorize('http://app.localhost:4181/_keygate/callback'), 400, 'no Keycloak pattern covers a host wildcard: list such hosts one by one');
  });
});
