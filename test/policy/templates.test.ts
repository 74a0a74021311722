/** `{name}` captures substituted into role and group templates. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '../../src/identity/types.js';
import { evaluate } from '../../src/policy/evaluate.js';
import type { Decision } from '../../src/policy/types.js';
import { buildPolicy, identity, target } from './fixtures.js';

const policy = buildPolicy([
  {
    name: 'temporal-namespace',
    hosts: ['temporal.example.com'],
    paths: ['/api/v1/namespaces/{namespace}/**'],
    allow: [{ anyRole: ['temporal-{namespace}-writer'] }, { anyGroup: ['/platform/admins'] }],
  },
  { name: 'tenant', paths: ['/tenants/{tenant}/**', '/t/{tenant}'], allow: { anyGroup: ['/tenants/{tenant}'] } },
  { name: 'pair', paths: ['/org/{org}/app/{app}/**'], allow: { allRoles: ['{org}:member', '{app}-user'] } },
]);

const writerOf = (ns: string): Identity => identity({ username: `w-${ns}`, roles: [`temporal-${ns}-writer`] });
const allowed = (rule: string): Decision => ({ kind: 'allow', rule, reason: 'condition_met' });
const denied = (rule: string): Decision => ({ kind: 'deny', rule, reason: 'condition_unmet' });

describe('role and group templates', () => {
  const table: { name: string; input: { path: string; host?: string; who: Identity }; want: Decision }[] = [
    { name: 'the namespace writer of that namespace', input: { path: '/api/v1/namespaces/prod/workflows', host: 'temporal.example.com', who: writerOf('prod') }, want: allowed('temporal-namespace') },
    { name: 'a writer of another namespace', input: { path: '/api/v1/namespaces/prod/workflows', host: 'temporal.example.com', who: writerOf('dev') }, want: denied('temporal-namespace') },
    { name: 'the literal template is not a role', input: { path: '/api/v1/namespaces/prod/x', host: 'temporal.example.com', who: identity({ username: 'x', roles: ['temporal-{namespace}-writer'] }) }, want: denied('temporal-namespace') },
    { name: 'the second block still applies', input: { path: '/api/v1/namespaces/any/x', host: 'temporal.example.com', who: identity({ username: 'ops', groups: ['/platform/admins'] }) }, want: allowed('temporal-namespace') },
    { name: 'group template, first pattern', input: { path: '/tenants/acme/settings', who: identity({ username: 'a', groups: ['/tenants/acme'] }) }, want: allowed('tenant') },
    { name: 'group template, second pattern', input: { path: '/t/acme', who: identity({ username: 'a', groups: ['/tenants/acme/ops'] }) }, want: allowed('tenant') },
    { name: 'group template, other tenant', input: { path: '/tenants/acme/settings', who: identity({ username: 'b', groups: ['/tenants/globex'] }) }, want: denied('tenant') },
    { name: 'group template, tenant name prefix is not membership', input: { path: '/t/acme', who: identity({ username: 'c', groups: ['/tenants/acme2'] }) }, want: denied('tenant') },
    { name: 'two captures in allRoles', input: { path: '/org/blue/app/shop/cart', who: identity({ username: 'd', roles: ['blue:member', 'shop-user'] }) }, want: allowed('pair') },
    { name: 'two captures, one role missing', input: { path: '/org/blue/app/shop/cart', who: identity({ username: 'd', roles: ['blue:member'] }) }, want: denied('pair') },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(evaluate(policy, target('GET', input.host ?? 'app.example.com', input.path), input.who), want));
  }
});
