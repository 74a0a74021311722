/**
 * Route coverage of the example policies (issue #6): every route of each app's route table, derived from the app's
 * source code (examples/<app>/routes.yaml), is decided by a named rule for anonymous callers and for each role, and
 * the decision matches the route's access level: allowed at and above it, denied below, unauthenticated when
 * anonymous unless public. Roles of another namespace never pass a namespaced route.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RULE, evaluate, normalizePath, type CompiledPolicy, type Decision } from '../../src/policy/index.js';
import { EXAMPLES, ROUTED_EXAMPLES, examplePolicy, exampleText, expandRole, identityWith, routeTable, type Example, type Route, type RouteTable } from './support.js';

/** A namespace no policy, realm or route table names. */
const UNLISTED = 'zz-unlisted';

/** Who calls: anonymous, or a token with exactly one role. */
interface Caller {
  readonly label: string;
  /** Index of the caller's level in [public, ...roles]; anonymous is 0. */
  readonly rank: number;
  readonly role: string | undefined;
}

/** The callers for one route: anonymous, then one per level, with the roles of `namespace`. */
function callers(table: RouteTable, namespace: string | undefined): Caller[] {
  const out: Caller[] = [{ label: 'anonymous', rank: 0, role: undefined }];
  table.roles.forEach(([level, template], i) => {
    const role = expandRole(template, namespace);
    out.push({ label: `${level} (${role})`, rank: i + 1, role });
  });
  return out;
}

/** The decision the route's access level calls for. */
function wanted(route: Route, table: RouteTable, caller: Caller): Decision['kind'] {
  const rank = route.access === 'public' ? 0 : table.roles.findIndex(([level]) => level === route.access) + 1;
  if (caller.rank >= rank) return 'allow';
  return caller.role === undefined ? 'unauthenticated' : 'deny';
}

function decide(policy: CompiledPolicy, host: string, route: Route, role: string | undefined): Decision {
  const n = normalizePath(route.path);
  assert.ok(n.ok, `${route.method} ${route.path}: the route table holds an ambiguous path (${n.ok ? '' : n.detail})`);
  return evaluate(policy, { method: route.method, host, path: n.path }, role === undefined ? undefined : identityWith('caller', [role]));
}

/** Every problem with the policy's decisions on the table's routes; empty when the policy covers the table. */
export function coverageProblems(policy: CompiledPolicy, host: string, table: RouteTable): string[] {
  const problems: string[] = [];
  const home = table.namespaces[0];
  const other = table.namespaces[1];
  for (const route of table.routes) {
    const where = `${route.method} ${route.path} [${route.access}]`;
    for (const caller of callers(table, home)) {
      const d = decide(policy, host, route, caller.role);
      const want = wanted(route, table, caller);
      if (d.rule === DEFAULT_RULE) problems.push(`${where} as ${caller.label}: no named rule decides it (policy default: ${d.kind})`);
      else if (d.kind !== want) problems.push(`${where} as ${caller.label}: ${d.kind} by ${d.rule}, want ${want}`);
    }
    // A namespace named nowhere in the policy (issue 13, role patterns): on routes not tied to a namespace its
    // roles fare exactly like the home namespace's.
    if (!route.namespaced && home !== undefined) {
      for (const caller of callers(table, UNLISTED).filter((c) => c.role !== undefined && c.role.includes(UNLISTED))) {
        const d = decide(policy, host, route, caller.role);
        const want = wanted(route, table, caller);
        if (d.kind !== want) problems.push(`${where} as ${caller.label} of an unlisted namespace: ${d.kind} by ${d.rule}, want ${want}`);
      }
    }
    if (!route.namespaced || route.access === 'public' || other === undefined) continue;
    // The namespaced levels, but of the other namespace or of an unlisted one: none of them may act on this namespace's resources.
    for (const [level, template] of table.roles.filter(([, t]) => t.includes('{namespace}'))) {
      for (const ns of [other, UNLISTED]) {
        const role = expandRole(template, ns);
        const d = decide(policy, host, route, role);
        if (d.kind !== 'deny') problems.push(`${where} as ${level} (${role}) of ${ns}: ${d.kind} by ${d.rule}, want deny`);
      }
    }
  }
  return problems;
}

describe('route coverage of the example policies', () => {
  for (const ex of ROUTED_EXAMPLES) {
    describe(ex.name, () => {
      it('has a route table derived from source, with its repository, files and commit noted', () => {
        const header = exampleText(ex, 'routes.yaml').split('\n').filter((l) => l.startsWith('#')).join('\n');
        assert.match(header, /https:\/\/github\.com\/[\w.-]+\/[\w.-]+/, 'routes.yaml must name the source repository');
        assert.match(header, /\b[0-9a-f]{40}\b/, 'routes.yaml must name the commit it was derived from');
        assert.match(header, /\b(tag|v)\s?v?\d+\.\d+\.\d+/, 'routes.yaml must name the version it was derived from');
        assert.match(header, /\.(py|go|proto|json|ts)\b/, 'routes.yaml must name the source files it was derived from');
        const table = routeTable(ex);
        assert.equal(table.app, ex.name);
        assert.deepEqual(table.namespaces, ex.namespaces);
        assert.ok(table.routes.length >= 50, `only ${table.routes.length} routes`);
        const seen = new Set<string>();
        for (const r of table.routes) {
          const key = `${r.method} ${r.path}`;
          assert.ok(!seen.has(key), `${key} is listed twice`);
          seen.add(key);
        }
      });

      it('decides every route by a named rule, at the access level the table gives it', () => {
        const problems = coverageProblems(examplePolicy(ex), ex.host, routeTable(ex));
        assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n')}`);
      });

      it('covers every access level of the table', () => {
        const table = routeTable(ex);
        for (const level of ['public', ...table.roles.map(([l]) => l)]) {
          assert.ok(table.routes.some((r) => r.access === level), `no route has access ${level}`);
        }
      });
    });
  }

  describe('the check itself', () => {
    const ex = EXAMPLES.find((e) => e.name === 'argo-workflows') as Example;

    it('fails for a route added to the table without a rule', () => {
      const table = routeTable(ex);
      const added: Route = { method: 'GET', path: '/api/v1/brand-new/team-a', access: 'viewer', namespaced: true, source: 'test' };
      const problems = coverageProblems(examplePolicy(ex), ex.host, { ...table, routes: [added] });
      assert.ok(problems.length > 0, 'an unruled route passed');
      assert.ok(problems.some((p) => p.includes('GET /api/v1/brand-new/team-a [viewer] as viewer')), problems.join('\n'));
    });

    it('fails for a route outside every rule (the policy default decides)', () => {
      const table = routeTable(ex);
      const added: Route = { method: 'POST', path: '/grpc.health.v1.Health/Check', access: 'viewer', namespaced: false, source: 'test' };
      const problems = coverageProblems(examplePolicy(ex), ex.host, { ...table, routes: [added] });
      assert.ok(problems.some((p) => p.includes('no named rule decides it')), problems.join('\n'));
    });

    it('fails for a route whose access level is lower than the policy gives it', () => {
      const table = routeTable(ex);
      const lowered: Route = { method: 'POST', path: '/api/v1/cluster-workflow-templates', access: 'engineer', namespaced: false, source: 'test' };
      const problems = coverageProblems(examplePolicy(ex), ex.host, { ...table, routes: [lowered] });
      assert.ok(problems.some((p) => p.includes('want allow')), problems.join('\n'));
    });

    it('fails when another namespace could act on a namespaced route', () => {
      const table = routeTable(ex);
      const shell: Route = { method: 'GET', path: '/workflows/team-a', access: 'viewer', namespaced: true, source: 'test' };
      const problems = coverageProblems(examplePolicy(ex), ex.host, { ...table, routes: [shell] });
      assert.ok(problems.some((p) => p.includes('(argo-team-b-viewer) of team-b: allow by argo-ui, want deny')), problems.join('\n'));
    });
  });
});
