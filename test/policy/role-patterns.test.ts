/** `*` patterns in anyRole, allRoles and anyGroup values (issue 13), with their edge cases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '../../src/identity/types.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { explain } from '../../src/policy/explain.js';
import { globMatch } from '../../src/policy/role-pattern.js';
import type { Decision } from '../../src/policy/types.js';
import { buildPolicy, identity, policyYaml, problems, target } from './fixtures.js';

const policy = buildPolicy([
  { name: 'argo-ui', paths: ['/argo/ui/**'], allow: { anyRole: ['argo-*-viewer'] } },
  { name: 'argo-ns', paths: ['/argo/ns/{namespace}/**'], allow: { anyRole: ['argo-{namespace}-*'] } },
  { name: 'two-stars', paths: ['/two/**'], allow: { anyRole: ['team-*-env-*'] } },
  { name: 'all-of', paths: ['/all/**'], allow: { allRoles: ['base-*', 'extra-*'] } },
  { name: 'client-roles', paths: ['/client/**'], allow: { anyRole: ['prefect:*'] } },
  { name: 'any-client', paths: ['/any-client/**'], allow: { anyRole: ['*:operator'] } },
  { name: 'realm-suffix', paths: ['/realm-suffix/**'], allow: { anyRole: ['*-operator'] } },
  { name: 'comma-literal', paths: ['/comma/**'], allow: { anyRole: ['odd,name'] } },
  { name: 'comma-pattern', paths: ['/comma-pattern/**'], allow: { anyRole: ['odd*'] } },
  { name: 'team-admins', paths: ['/teams/**'], allow: { anyGroup: ['/teams/*/admins'] } },
  { name: 'tenant-groups', paths: ['/tenant/{tenant}/**'], allow: { anyGroup: ['/tenants/{tenant}-*'] } },
]);

const who = (roles: string[], groups: string[] = []): Identity => identity({ username: 'u', roles, groups });
const allowed = (rule: string): Decision => ({ kind: 'allow', rule, reason: 'condition_met' });
const denied = (rule: string): Decision => ({ kind: 'deny', rule, reason: 'condition_unmet' });

describe('role and group patterns', () => {
  const table: { name: string; input: { path: string; who: Identity }; want: Decision }[] = [
    { name: 'argo-*-viewer matches argo-billing-viewer', input: { path: '/argo/ui/', who: who(['argo-billing-viewer']) }, want: allowed('argo-ui') },
    { name: 'a namespace named nowhere in the policy still matches', input: { path: '/argo/ui/x', who: who(['argo-brand-new-team-viewer']) }, want: allowed('argo-ui') },
    { name: '* needs at least one character', input: { path: '/argo/ui/', who: who(['argo--viewer']) }, want: denied('argo-ui') },
    { name: 'the literal text around * must match', input: { path: '/argo/ui/', who: who(['argo-billing-editor']) }, want: denied('argo-ui') },
    { name: 'a prefix alone is not a match', input: { path: '/argo/ui/', who: who(['argo-billing-viewer-x']) }, want: denied('argo-ui') },
    { name: 'capture then star: own namespace', input: { path: '/argo/ns/billing/wf', who: who(['argo-billing-viewer']) }, want: allowed('argo-ns') },
    { name: 'capture then star: another namespace', input: { path: '/argo/ns/billing/wf', who: who(['argo-payments-viewer']) }, want: denied('argo-ns') },
    { name: 'a * in the captured segment is literal, not a wildcard', input: { path: '/argo/ns/*/wf', who: who(['argo-billing-viewer']) }, want: denied('argo-ns') },
    { name: 'a role literally named with the captured * matches', input: { path: '/argo/ns/*/wf', who: who(['argo-*-viewer']) }, want: allowed('argo-ns') },
    { name: 'two stars', input: { path: '/two/x', who: who(['team-a-env-prod']) }, want: allowed('two-stars') },
    { name: 'two stars need backtracking', input: { path: '/two/x', who: who(['team-a-env-b-env-prod']) }, want: allowed('two-stars') },
    { name: 'two stars, second empty', input: { path: '/two/x', who: who(['team-a-env-']) }, want: denied('two-stars') },
    { name: 'allRoles with patterns: both held', input: { path: '/all/x', who: who(['base-1', 'extra-2']) }, want: allowed('all-of') },
    { name: 'allRoles with patterns: one missing', input: { path: '/all/x', who: who(['base-1', 'base-2']) }, want: denied('all-of') },
    { name: 'client:* matches a role of that client', input: { path: '/client/x', who: who(['prefect:operator']) }, want: allowed('client-roles') },
    { name: 'client:* does not match another client', input: { path: '/client/x', who: who(['argo:operator']) }, want: denied('client-roles') },
    { name: '*:operator matches that role of any client', input: { path: '/any-client/x', who: who(['argo:operator']) }, want: allowed('any-client') },
    { name: '*:operator is not a realm role', input: { path: '/any-client/x', who: who(['operator']) }, want: denied('any-client') },
    { name: '* never crosses ":": a realm-role pattern does not match a client role', input: { path: '/realm-suffix/x', who: who(['prefect:flow-operator']) }, want: denied('realm-suffix') },
    { name: 'the realm role matches', input: { path: '/realm-suffix/x', who: who(['flow-operator']) }, want: allowed('realm-suffix') },
    { name: 'a literal role with "," matches exactly', input: { path: '/comma/x', who: who(['odd,name']) }, want: allowed('comma-literal') },
    { name: 'a literal role with "," is not split into two', input: { path: '/comma/x', who: who(['odd', 'name']) }, want: denied('comma-literal') },
    { name: '* never crosses ","', input: { path: '/comma-pattern/x', who: who(['odd,name']) }, want: denied('comma-pattern') },
    { name: 'a pattern ending in * before ","', input: { path: '/comma-pattern/x', who: who(['oddity']) }, want: allowed('comma-pattern') },
    { name: 'group pattern', input: { path: '/teams/x', who: who([], ['/teams/data/admins']) }, want: allowed('team-admins') },
    { name: 'group pattern holds for subgroups', input: { path: '/teams/x', who: who([], ['/teams/data/admins/sre']) }, want: allowed('team-admins') },
    { name: '* never crosses "/" in a group', input: { path: '/teams/x', who: who([], ['/teams/data/eu/admins']) }, want: denied('team-admins') },
    { name: 'group pattern, other leaf', input: { path: '/teams/x', who: who([], ['/teams/data/viewers']) }, want: denied('team-admins') },
    { name: 'group pattern, prefix of a name is not membership', input: { path: '/teams/x', who: who([], ['/teams/data/admins2']) }, want: denied('team-admins') },
    { name: 'group pattern with capture', input: { path: '/tenant/acme/x', who: who([], ['/tenants/acme-ops']) }, want: allowed('tenant-groups') },
    { name: 'group pattern with capture, other tenant', input: { path: '/tenant/acme/x', who: who([], ['/tenants/globex-ops']) }, want: denied('tenant-groups') },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(evaluate(policy, target('GET', 'app.example.com', input.path), input.who), want));
  }
});

describe('globMatch', () => {
  const table: { name: string; input: { pieces: string[]; text: string }; want: boolean }[] = [
    { name: 'one star', input: { pieces: ['a-', ''], text: 'a-b' }, want: true },
    { name: 'one star, empty span', input: { pieces: ['a-', ''], text: 'a-' }, want: false },
    { name: 'stop character', input: { pieces: ['a-', ''], text: 'a-b:c' }, want: false },
    { name: 'comma', input: { pieces: ['', '-x'], text: 'a,b-x' }, want: false },
    { name: 'literal comma in a piece', input: { pieces: ['a,', ''], text: 'a,b' }, want: true },
    { name: 'leading star', input: { pieces: ['', '-x'], text: 'ab-x' }, want: true },
  ];
  for (const { name, input, want } of table) it(name, () => assert.equal(globMatch(input.pieces, input.text, 0x3a), want));
});

describe('pattern validation', () => {
  const rule = (allow: unknown): string => policyYaml([{ name: 'r', allow }]);
  const table: { name: string; input: string; want: string[] }[] = [
    { name: 'a role value that is only *', input: rule({ anyRole: ['*'] }), want: ['policy.yaml:7:11: rules[0] "r": allow.anyRole must not be only "*": it would match every role; list the roles or use allow: authenticated, got "*"'] },
    { name: 'allRoles only *', input: rule({ allRoles: ['ok', '*'] }), want: ['policy.yaml:8:11: rules[0] "r": allow.allRoles must not be only "*": it would match every role; list the roles or use allow: authenticated, got "*"'] },
    { name: 'a group value that is only /*', input: rule({ anyGroup: ['/*'] }), want: ['policy.yaml:7:11: rules[0] "r": allow.anyGroup must not be only "*": it would match every group; list the groups or use allow: authenticated, got "/*"'] },
    { name: '** in a role', input: rule({ anyRole: ['a-**'] }), want: ['policy.yaml:7:11: rules[0] "r": allow.anyRole must not contain "**": a "*" already matches one or more characters, got "a-**"'] },
    { name: 'patterns that are fine', input: rule({ anyRole: ['a-*', '*:op'], anyGroup: ['/t/*', '/*/admins'] }), want: [] },
  ];
  for (const { name, input, want } of table) it(name, () => assert.deepEqual(problems(input), want));
});

describe('explain shows which pattern matched which role', () => {
  const table: { name: string; input: { path: string; who: Identity }; want: string[] }[] = [
    { name: 'role pattern', input: { path: '/argo/ui/', who: who(['x', 'argo-billing-viewer']) }, want: ['argo-*-viewer → argo-billing-viewer'] },
    { name: 'role pattern with capture', input: { path: '/argo/ns/billing/wf', who: who(['argo-billing-viewer']) }, want: ['argo-billing-* → argo-billing-viewer'] },
    { name: 'group pattern', input: { path: '/teams/x', who: who([], ['/teams/data/admins/sre']) }, want: ['/teams/*/admins → /teams/data/admins/sre'] },
    { name: 'nothing matched', input: { path: '/argo/ui/', who: who(['viewer']) }, want: [] },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(explain(policy, target('GET', 'app.example.com', input.path), input.who).conditions.flatMap((c) => c.matched), want));
  }
});
