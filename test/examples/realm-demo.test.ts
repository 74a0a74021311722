/**
 * examples/demo/realm.json is the real-Keycloak export of the look-alike's demo realm (dev/idp/demo-realm.ts):
 * the same users with the same passwords, names, roles and groups, the same service-account clients and secrets,
 * and the keygate client with the settings `keygate dev` relies on. A change to one without the other fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEMO_CI_READER, DEMO_CI_RUNNER, DEMO_USERS, demoKeygateClient } from '../../dev/idp/demo-realm.js';
import { ROOT, list, record, str } from './support.js';

const doc = record(JSON.parse(readFileSync(join(ROOT, 'examples', 'demo', 'realm.json'), 'utf8')) as unknown, 'examples/demo/realm.json');
const clients = list(doc['clients'], 'clients').map((c) => record(c, 'client'));
const users = list(doc['users'], 'users').map((u) => record(u, 'user'));
const client = (id: string): Record<string, unknown> => {
  const c = clients.find((x) => x['clientId'] === id);
  assert.ok(c !== undefined, `realm.json has no client ${id}`);
  return c;
};
const user = (name: string): Record<string, unknown> => {
  const u = users.find((x) => x['username'] === name);
  assert.ok(u !== undefined, `realm.json has no user ${name}`);
  return u;
};

/** The Keycloak form of a look-alike redirect pattern: Keycloak honours `*` only at the end of a URI. */
const keycloakPattern = (pattern: string): string | undefined => (pattern.includes('*.') ? undefined : pattern.slice(0, pattern.indexOf('*') + 1));

describe('examples/demo/realm.json is the demo realm of dev/idp/demo-realm.ts', () => {
  it('names the realm demo, as `keygate dev` does', () => assert.equal(doc['realm'], 'demo'));

  for (const u of DEMO_USERS) {
    it(`user ${u.username}: password, email, name, realm roles, client roles and groups`, () => {
      const got = user(u.username);
      const password = list(got['credentials'], 'credentials').map((c) => record(c, 'credential')).find((c) => c['type'] === 'password');
      assert.equal(password?.['value'], u.password);
      assert.equal(password?.['temporary'], false);
      assert.equal(got['email'], u.email);
      assert.equal(`${str(got['firstName'], 'firstName')} ${str(got['lastName'], 'lastName')}`, u.name);
      assert.deepEqual(list(got['realmRoles'], 'realmRoles').slice().sort(), [...(u.realmRoles ?? [])].sort());
      assert.deepEqual(got['clientRoles'] ?? {}, u.clientRoles ?? {});
      assert.deepEqual(got['groups'], [...(u.groups ?? [])]);
      // Keycloak 24+ refuses a password grant for an account that is "not fully set up" (REAL-SYSTEMS.md §A.4).
      assert.equal(got['emailVerified'], true);
      assert.deepEqual(got['requiredActions'], []);
    });
  }

  it('has no user the look-alike lacks (service accounts aside)', () => {
    const names = users.filter((u) => u['serviceAccountClientId'] === undefined).map((u) => u['username']);
    assert.deepEqual(names.sort(), DEMO_USERS.map((u) => u.username).sort());
  });

  for (const c of [DEMO_CI_RUNNER, DEMO_CI_READER]) {
    it(`service account ${c.clientId}: secret and roles`, () => {
      const got = client(c.clientId);
      assert.equal(got['secret'], c.secret);
      assert.equal(got['serviceAccountsEnabled'], true);
      const account = user(`service-account-${c.clientId}`);
      assert.equal(account['serviceAccountClientId'], c.clientId);
      assert.deepEqual(account['realmRoles'], [...(c.serviceAccountRoles?.realmRoles ?? [])]);
      assert.deepEqual(account['clientRoles'] ?? {}, c.serviceAccountRoles?.clientRoles ?? {});
    });
  }

  it('defines every role and group the demo users hold', () => {
    const roles = record(doc['roles'], 'roles');
    const realmRoles = new Set(list(roles['realm'], 'roles.realm').map((r) => record(r, 'role')['name']));
    const clientRoles = record(roles['client'], 'roles.client');
    const paths = new Set<string>();
    const walk = (groups: unknown, parent: string): void => list(groups, 'groups').forEach((g) => {
      const path = `${parent}/${str(record(g, 'group')['name'], 'name')}`;
      paths.add(path);
      walk(record(g, 'group')['subGroups'] ?? [], path);
    });
    walk(doc['groups'], '');
    for (const u of DEMO_USERS) {
      for (const r of u.realmRoles ?? []) assert.ok(realmRoles.has(r), `role ${r}`);
      for (const [c, rs] of Object.entries(u.clientRoles ?? {})) {
        const defined = list(clientRoles[c], `roles.client.${c}`).map((r) => record(r, 'role')['name']);
        for (const r of rs) assert.ok(defined.includes(r), `client role ${c}:${r}`);
        client(c);
      }
      for (const g of u.groups ?? []) assert.ok(paths.has(g), `group ${g}`);
    }
  });

  it('keygate client: secret, code flow with PKCE, redirect and post-logout URIs in Keycloak\'s form, no direct grants, audience and group mappers', () => {
    const want = demoKeygateClient();
    const got = client(want.clientId);
    assert.equal(got['secret'], want.secret);
    assert.equal(got['publicClient'], false);
    assert.equal(got['standardFlowEnabled'], true);
    assert.equal(got['directAccessGrantsEnabled'], false, 'the tests turn direct grants on through the admin API, never in the shipped file');
    const attributes = record(got['attributes'], 'attributes');
    assert.equal(attributes['pkce.code.challenge.method'], 'S256');
    // `http://*.localhost:*/…` has no Keycloak form (no wildcard inside a host): the export leaves it out.
    const redirects = [...new Set((want.redirectUris ?? []).map(keycloakPattern).filter((p) => p !== undefined))];
    assert.deepEqual(got['redirectUris'], redirects);
    const postLogout = [...new Set((want.postLogoutRedirectUris ?? []).map(keycloakPattern).filter((p) => p !== undefined))];
    assert.equal(attributes['post.logout.redirect.uris'], postLogout.join('##'));
    const mappers = list(got['protocolMappers'], 'protocolMappers').map((m) => record(m, 'mapper'));
    const audience = mappers.find((m) => m['protocolMapper'] === 'oidc-audience-mapper');
    assert.equal(record(audience?.['config'], 'audience config')['included.client.audience'], 'keygate');
    const groups = mappers.find((m) => m['protocolMapper'] === 'oidc-group-membership-mapper');
    assert.equal(record(groups?.['config'], 'groups config')['full.path'], 'true');
    assert.equal(doc['clientScopes'], undefined, 'Keycloak\'s built-in client scopes (roles, basic with sub) stay');
  });
});
