/**
 * The examples' Keycloak realm exports (issue #6): each parses, holds every realm role, client role and group its
 * policy and route table name (`{namespace}` expanded over the example's namespaces), and gives the keygate client
 * the mappers keygate relies on: an audience mapper for `aud` and a group-membership mapper with full paths.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConditionBlock } from '../../src/policy/index.js';
import { EXAMPLES, examplePolicy, exampleText, expandRole, isRecord, list, record, routeTable, str, type Example } from './support.js';

/** The realm export, parsed. */
function realm(ex: Example): Record<string, unknown> {
  const text = exampleText(ex, 'realm.json');
  let doc: unknown;
  assert.doesNotThrow(() => {
    doc = JSON.parse(text) as unknown;
  }, `examples/${ex.name}/realm.json is not valid JSON`);
  return record(doc, `examples/${ex.name}/realm.json`);
}

/** Realm role names. */
function realmRoles(doc: Record<string, unknown>): Set<string> {
  const roles = record(doc['roles'], 'roles');
  return new Set(list(roles['realm'], 'roles.realm').map((r, i) => str(record(r, `roles.realm[${i}]`)['name'], `roles.realm[${i}].name`)));
}

/** Client roles as `client:role`, the way keygate names them (DESIGN §4). */
function clientRoles(doc: Record<string, unknown>): Set<string> {
  const byClient = record(record(doc['roles'], 'roles')['client'] ?? {}, 'roles.client');
  const out = new Set<string>();
  for (const [client, roles] of Object.entries(byClient)) {
    list(roles, `roles.client.${client}`).forEach((r, i) => out.add(`${client}:${str(record(r, `roles.client.${client}[${i}]`)['name'], 'name')}`));
  }
  return out;
}

/** Full paths of every group and subgroup. */
function groupPaths(doc: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const walk = (groups: unknown, parent: string): void => {
    list(groups, `groups under ${parent || '/'}`).forEach((g) => {
      const group = record(g, 'group');
      const path = `${parent}/${str(group['name'], 'group name')}`;
      if (group['path'] !== undefined) assert.equal(group['path'], path, `group ${path} declares path ${String(group['path'])}`);
      out.add(path);
      walk(group['subGroups'] ?? [], path);
    });
  };
  walk(doc['groups'] ?? [], '');
  return out;
}

function clients(doc: Record<string, unknown>): Array<Record<string, unknown>> {
  return list(doc['clients'], 'clients').map((c, i) => record(c, `clients[${i}]`));
}

function client(doc: Record<string, unknown>, clientId: string): Record<string, unknown> {
  const found = clients(doc).find((c) => c['clientId'] === clientId);
  assert.ok(found !== undefined, `realm has no client ${clientId}`);
  return found;
}

function mappers(c: Record<string, unknown>): Array<Record<string, unknown>> {
  return list(c['protocolMappers'] ?? [], `${String(c['clientId'])} protocolMappers`).map((m, i) => record(m, `protocolMappers[${i}]`));
}

/** Every role and group template a policy's conditions name, with `{namespace}` expanded. */
function namedByPolicy(ex: Example): { roles: Set<string>; groups: Set<string> } {
  const roles = new Set<string>();
  const groups = new Set<string>();
  const expand = (source: string): string[] => (source.includes('{namespace}') ? ex.namespaces.map((ns) => expandRole(source, ns)) : [source]);
  for (const rule of examplePolicy(ex).rules) {
    if (rule.access.kind !== 'conditions') continue;
    rule.access.blocks.forEach((b: ConditionBlock) => {
      for (const t of [...(b.anyRole ?? []), ...(b.allRoles ?? [])]) for (const r of expand(t.source)) roles.add(r);
      for (const t of b.anyGroup ?? []) for (const g of expand(t.source)) groups.add(g);
    });
  }
  return { roles, groups };
}

describe('the examples\' Keycloak realm exports', () => {
  for (const ex of EXAMPLES) {
    describe(ex.name, () => {
      it('parse, and name a realm', () => {
        const doc = realm(ex);
        assert.equal(typeof doc['realm'], 'string');
        assert.equal(doc['enabled'], true);
      });

      it('hold every realm role, client role and group the policy names', () => {
        const doc = realm(ex);
        const { roles, groups } = namedByPolicy(ex);
        assert.ok(roles.size > 0, 'the policy names no roles');
        const realmSet = realmRoles(doc);
        const clientSet = clientRoles(doc);
        for (const role of roles) {
          // A name with ":" is a client role (client:role), as keygate reads resource_access.
          const defined = role.includes(':') ? clientSet : realmSet;
          // A role pattern (`argo-*-viewer`) must match at least one defined role.
          const pattern = new RegExp(`^${role.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^:]*')}$`);
          const known = role.includes('*') ? [...defined].some((r) => pattern.test(r)) : defined.has(role);
          assert.ok(known, `the policy names ${role}, which realm.json does not define`);
        }
        const paths = groupPaths(doc);
        for (const group of groups) assert.ok(paths.has(group), `the policy names group ${group}, which realm.json does not define`);
      });

      if (ex.routeTable) it('hold the roles of every level of the route table, for every namespace', () => {
        const doc = realm(ex);
        const realmSet = realmRoles(doc);
        const table = routeTable(ex);
        for (const [, template] of table.roles) {
          const names = template.includes('{namespace}') ? ex.namespaces.map((ns) => expandRole(template, ns)) : [template];
          for (const name of names) assert.ok(realmSet.has(name), `routes.yaml's role ${name} is missing from realm.json`);
        }
      });

      it('give the keygate client an audience mapper and a full-path group mapper', () => {
        const doc = realm(ex);
        const keygate = client(doc, 'keygate');
        const all = [...mappers(keygate), ...scopeMappers(doc, keygate)];
        const audience = all.find((m) => m['protocolMapper'] === 'oidc-audience-mapper');
        assert.ok(audience !== undefined, 'no oidc-audience-mapper on the keygate client or its client scopes');
        const ac = record(audience['config'], 'audience mapper config');
        assert.equal(ac['included.client.audience'], 'keygate');
        assert.equal(ac['access.token.claim'], 'true');
        const groupsMapper = all.find((m) => m['protocolMapper'] === 'oidc-group-membership-mapper');
        assert.ok(groupsMapper !== undefined, 'no oidc-group-membership-mapper on the keygate client or its client scopes');
        const gc = record(groupsMapper['config'], 'group mapper config');
        assert.equal(gc['full.path'], 'true', 'groups must be sent as full paths (/a/b)');
        assert.equal(gc['claim.name'], 'groups');
        assert.equal(gc['access.token.claim'], 'true');
      });

      it('sign browsers in with a confidential code-flow client using PKCE, calling back on the protected host', () => {
        const keygate = client(realm(ex), 'keygate');
        assert.equal(keygate['publicClient'], false);
        assert.equal(keygate['standardFlowEnabled'], true);
        assert.equal(keygate['implicitFlowEnabled'], false);
        assert.equal(keygate['directAccessGrantsEnabled'], false);
        assert.equal(record(keygate['attributes'], 'attributes')['pkce.code.challenge.method'], 'S256');
        const redirects = list(keygate['redirectUris'], 'redirectUris').map((u) => str(u, 'redirect uri'));
        assert.ok(redirects.includes(`https://${ex.host}/_keygate/callback`), redirects.join(', '));
        for (const u of redirects) assert.ok(!u.includes('*'), `wildcard redirect URI ${u}`);
      });

      it('keep Keycloak\'s built-in client scopes (no clientScopes list, which would replace them)', () => {
        // RealmManager.importRealm creates the built-in scopes (roles, basic with `sub`, profile, email …) only when
        // the export has no clientScopes: a hand-written list would silently drop realm_access and sub from tokens.
        const doc = realm(ex);
        assert.equal(doc['clientScopes'], undefined);
        const scopes = list(client(doc, 'keygate')['defaultClientScopes'], 'defaultClientScopes');
        for (const s of ['roles', 'basic', 'profile', 'email']) assert.ok(scopes.includes(s), `keygate client lacks default scope ${s}`);
      });

      it('give every user known groups, and service accounts known clients', () => {
        const doc = realm(ex);
        const paths = groupPaths(doc);
        const realmSet = realmRoles(doc);
        const clientIds = new Set(clients(doc).map((c) => str(c['clientId'], 'clientId')));
        list(doc['users'] ?? [], 'users').forEach((u, i) => {
          const user = record(u, `users[${i}]`);
          for (const g of list(user['groups'] ?? [], 'groups')) assert.ok(paths.has(str(g, 'group')), `user ${String(user['username'])} is in unknown group ${String(g)}`);
          for (const r of list(user['realmRoles'] ?? [], 'realmRoles')) assert.ok(realmSet.has(str(r, 'role')), `user ${String(user['username'])} has unknown role ${String(r)}`);
          if (user['serviceAccountClientId'] !== undefined) {
            const id = str(user['serviceAccountClientId'], 'serviceAccountClientId');
            assert.ok(clientIds.has(id), `service account of unknown client ${id}`);
            assert.equal(client(doc, id)['serviceAccountsEnabled'], true, `${id} has a service account user but no service accounts`);
          }
          for (const c of list(user['credentials'] ?? [], 'credentials')) {
            // An imported password is temporary unless said otherwise, which forces a password change at first login.
            assert.equal(record(c, 'credential')['temporary'], false, `user ${String(user['username'])}: imported password must not be temporary`);
          }
        });
      });
    });
  }

  it('temporal-ui: each Temporal realm role carries the permission Temporal\'s claim mapper reads', () => {
    const ex = EXAMPLES.find((e) => e.name === 'temporal-ui') as Example;
    const doc = realm(ex);
    const keygate = client(doc, 'keygate');
    const permissions = mappers(keygate).find((m) => m['protocolMapper'] === 'oidc-usermodel-client-role-mapper');
    assert.ok(permissions !== undefined, 'no client-role mapper for the "permissions" claim');
    const pc = record(permissions['config'], 'permissions mapper config');
    assert.equal(pc['claim.name'], 'permissions');
    assert.equal(pc['multivalued'], 'true');
    assert.equal(pc['usermodel.clientRoleMapping.clientId'], 'temporal-server');
    const clientSet = clientRoles(doc);
    const want: Record<string, string> = { 'temporal-admin': 'temporal-system:admin' };
    for (const ns of ex.namespaces) {
      want[`temporal-${ns}-reader`] = `${ns}:read`;
      want[`temporal-${ns}-writer`] = `${ns}:write`;
    }
    const roles = list(record(doc['roles'], 'roles')['realm'], 'roles.realm').map((r) => record(r, 'role'));
    for (const [role, permission] of Object.entries(want)) {
      const r = roles.find((x) => x['name'] === role);
      assert.ok(r !== undefined, `no realm role ${role}`);
      assert.ok(clientSet.has(`temporal-server:${permission}`), `no client role temporal-server ${permission}`);
      const composites = record(record(r['composites'], `${role} composites`)['client'], `${role} client composites`);
      assert.deepEqual(composites['temporal-server'], [permission], `${role} must carry ${permission}`);
    }
  });
});

/** Mappers of the client scopes the client lists by default (none of the examples defines its own scopes). */
function scopeMappers(doc: Record<string, unknown>, c: Record<string, unknown>): Array<Record<string, unknown>> {
  const defined = list(doc['clientScopes'] ?? [], 'clientScopes').map((s) => record(s, 'client scope'));
  const wanted = new Set(list(c['defaultClientScopes'] ?? [], 'defaultClientScopes'));
  return defined.filter((s) => wanted.has(s['name'])).flatMap((s) => (isRecord(s) ? list(s['protocolMappers'] ?? [], 'protocolMappers').map((m) => record(m, 'mapper')) : []));
}
