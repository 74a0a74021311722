/** Shared helpers for the example tests: the three examples, their files, route tables and identities. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Identity } from '../../src/identity/types.js';
import { loadPolicy, type CompiledPolicy } from '../../src/policy/index.js';
import { formatProblem } from '../../src/util/problems.js';
import { isRecord, list, record, str } from '../support/shape.js';

/** Repository root (tests run from dist/test/examples). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** One shipped example: its directory under examples/, the host its policy protects, its namespaces. */
export interface Example {
  readonly name: string;
  readonly dir: string;
  readonly host: string;
  /** Namespaces the example's `{namespace}` roles are expanded with; empty when it has none. */
  readonly namespaces: readonly string[];
  /** The environment variables its compose file refuses to start without. */
  readonly requiredEnv: readonly string[];
  /**
   * True when the example protects a third-party app whose routes are listed in routes.yaml (derived from the app's
   * source); false for a service of the repository's own with a route or two (the Step Functions trigger), which
   * has no route table and none of the checks built on one.
   */
  readonly routeTable: boolean;
}

/** The three examples of issue #6, and the Step Functions trigger of issue 14. */
export const EXAMPLES: readonly Example[] = [
  {
    name: 'prefect',
    dir: join(ROOT, 'examples', 'prefect'),
    host: 'prefect.example.com',
    namespaces: [],
    requiredEnv: ['KEYCLOAK_ADMIN_PASSWORD', 'KEYGATE_SESSION_SECRETS', 'PREFECT_DB_PASSWORD'],
    routeTable: true,
  },
  {
    name: 'argo-workflows',
    dir: join(ROOT, 'examples', 'argo-workflows'),
    host: 'argo.example.com',
    namespaces: ['team-a', 'team-b'],
    requiredEnv: ['KEYCLOAK_ADMIN_PASSWORD', 'KEYGATE_SESSION_SECRETS'],
    routeTable: true,
  },
  {
    name: 'temporal-ui',
    dir: join(ROOT, 'examples', 'temporal-ui'),
    host: 'temporal.example.com',
    namespaces: ['team-a', 'team-b'],
    requiredEnv: ['KEYCLOAK_ADMIN_PASSWORD', 'KEYGATE_SESSION_SECRETS', 'TEMPORAL_DB_PASSWORD'],
    routeTable: true,
  },
  {
    name: 'step-functions',
    dir: join(ROOT, 'examples', 'step-functions'),
    host: 'sfn.example.com',
    namespaces: [],
    requiredEnv: ['KEYCLOAK_ADMIN_PASSWORD', 'KEYGATE_SESSION_SECRETS'],
    routeTable: false,
  },
];

/** The examples with a route table (routes.yaml): route coverage and the role-level checks run on these. */
export const ROUTED_EXAMPLES: readonly Example[] = EXAMPLES.filter((ex) => ex.routeTable);

export { isRecord, list, record, str };

/** The text of a file of the example. */
export function exampleText(ex: Example, file: string): string {
  return readFileSync(join(ex.dir, file), 'utf8');
}

/** A YAML file of the example, parsed. */
export function exampleYaml(ex: Example, file: string): unknown {
  return parse(exampleText(ex, file)) as unknown;
}

/** The example's policy, compiled; fails the test on any load error or warning (e.g. a shadowed rule). */
export function examplePolicy(ex: Example): CompiledPolicy {
  const file = `examples/${ex.name}/policy.yaml`;
  const r = loadPolicy(exampleText(ex, 'policy.yaml'), file);
  assert.deepEqual(r.errors.map(formatProblem), [], `${file} does not load`);
  assert.deepEqual(r.warnings.map(formatProblem), [], `${file} loads with warnings`);
  assert.ok(r.value !== undefined, `${file} gave no policy`);
  return r.value;
}

/** Access levels of a route table, lowest first; `public` needs no identity. */
export type Level = string;

/** One entry of routes.yaml. */
export interface Route {
  readonly method: string;
  readonly path: string;
  readonly access: Level;
  /** True when the route acts on a resource of the namespace in its path. */
  readonly namespaced: boolean;
  readonly source: string;
}

/** A parsed routes.yaml. */
export interface RouteTable {
  readonly app: string;
  /** Role (template) per level, in order from the lowest to the highest: e.g. viewer, engineer, admin. */
  readonly roles: ReadonlyArray<readonly [Level, string]>;
  readonly namespaces: readonly string[];
  readonly routes: readonly Route[];
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Parses and checks the shape of an example's routes.yaml. */
export function routeTable(ex: Example): RouteTable {
  const file = `examples/${ex.name}/routes.yaml`;
  const doc = record(exampleYaml(ex, 'routes.yaml'), file);
  const roles = Object.entries(record(doc['roles'], `${file}: roles`)).map(([level, role]) => [level, str(role, `${file}: roles.${level}`)] as const);
  assert.ok(roles.length >= 3, `${file}: roles must name at least three levels`);
  const levels = new Set(['public', ...roles.map(([level]) => level)]);
  const namespaces = doc['namespaces'] === undefined ? [] : list(doc['namespaces'], `${file}: namespaces`).map((n, i) => str(n, `${file}: namespaces[${i}]`));
  const routes = list(doc['routes'], `${file}: routes`).map((raw, i): Route => {
    const what = `${file}: routes[${i}]`;
    const r = record(raw, what);
    const method = str(r['method'], `${what}.method`);
    const path = str(r['path'], `${what}.path`);
    const access = str(r['access'], `${what}.access`);
    assert.ok(METHODS.has(method), `${what}: method must be an HTTP method, got ${JSON.stringify(method)}`);
    assert.ok(path.startsWith('/'), `${what}: path must start with "/", got ${JSON.stringify(path)}`);
    assert.ok(levels.has(access), `${what}: access must be one of ${[...levels].join(', ')}, got ${JSON.stringify(access)}`);
    const namespaced = r['namespaced'] === undefined ? false : r['namespaced'] === true;
    return { method, path, access, namespaced, source: r['source'] === undefined ? '' : str(r['source'], `${what}.source`) };
  });
  return { app: str(doc['app'], `${file}: app`), roles, namespaces, routes };
}

/** Expands `{namespace}` in a role template. */
export function expandRole(template: string, namespace: string | undefined): string {
  return namespace === undefined ? template : template.replaceAll('{namespace}', namespace);
}

/** A verified-token identity carrying exactly `roles` (and `groups`): no composite expansion, as issue #6 asks. */
export function identityWith(user: string, roles: readonly string[], groups: readonly string[] = []): Identity {
  return { sub: `sub-${user}`, username: user, email: `${user}@example.com`, name: user, roles, groups, scopes: [], via: 'bearer' };
}
