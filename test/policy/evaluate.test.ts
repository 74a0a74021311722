import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '../../src/identity/types.js';
import { decide, evaluate, matchRule, type MatchTarget } from '../../src/policy/evaluate.js';
import type { Decision } from '../../src/policy/types.js';
import { alice, anonymous, bob, buildPolicy, carol, identity, target } from './fixtures.js';

const HOST = 'prefect.example.com';

/** The DESIGN §5 example, plus a UI rule. */
const policy = buildPolicy([
  { name: 'prefect-health', hosts: [HOST], paths: ['/api/health'], methods: ['GET', 'HEAD'], allow: 'public' },
  { name: 'no-admin-api', paths: ['/api/admin/**'], deny: true },
  { name: 'prefect-run', hosts: [HOST], paths: ['/api/deployments/*/create_flow_run'], methods: ['POST'], allow: { anyRole: ['engineer', 'prefect:operator'] } },
  { name: 'prefect-write', hosts: [HOST], paths: ['/api/**'], methods: ['POST', 'PUT', 'PATCH', 'DELETE'], allow: { allRoles: ['engineer', 'admin'] } },
  { name: 'prefect-read', hosts: [HOST], paths: ['/api/**'], methods: ['GET', 'HEAD'], allow: [{ anyRole: ['viewer'] }, { anyGroup: ['/platform/admins'] }] },
  { name: 'prefect-ui', hosts: [HOST], paths: ['/ui/**'], allow: 'authenticated' },
  { name: 'reports', hosts: [HOST], paths: ['/reports/**'], allow: { users: ['alice', 'carol'] } },
  { name: 'machine', hosts: [HOST], paths: ['/machine/**'], allow: { scopes: ['api:write', 'api:admin'] } },
  { name: 'both-keys', hosts: [HOST], paths: ['/both/**'], allow: { anyRole: ['engineer'], users: ['bob'] } },
]);

interface Case {
  readonly name: string;
  readonly input: { readonly target: MatchTarget; readonly identity: Identity | undefined };
  readonly want: Decision;
}

const allow = (rule: string, reason: 'public' | 'authenticated' | 'condition_met' | 'default_authenticated'): Decision => ({ kind: 'allow', rule, reason });
const deny = (rule: string, reason: 'condition_unmet' | 'deny_rule' | 'default_deny'): Decision => ({ kind: 'deny', rule, reason });
const unauthenticated = (rule: string): Decision => ({ kind: 'unauthenticated', rule, reason: 'no_credentials' });

const cases: Case[] = [
  { name: 'public rule allows anonymous', input: { target: target('GET', HOST, '/api/health'), identity: anonymous }, want: allow('prefect-health', 'public') },
  { name: 'public rule allows anyone', input: { target: target('HEAD', HOST, '/api/health'), identity: alice }, want: allow('prefect-health', 'public') },
  { name: 'method outside the public rule falls through', input: { target: target('POST', HOST, '/api/health'), identity: alice }, want: deny('prefect-write', 'condition_unmet') },
  { name: 'deny rule denies admins too', input: { target: target('GET', HOST, '/api/admin/users'), identity: carol }, want: deny('no-admin-api', 'deny_rule') },
  { name: 'deny rule denies anonymous without asking to sign in', input: { target: target('GET', 'other.example.com', '/api/admin'), identity: anonymous }, want: deny('no-admin-api', 'deny_rule') },
  { name: 'anyRole: a client role holds', input: { target: target('POST', HOST, '/api/deployments/abc/create_flow_run'), identity: bob }, want: allow('prefect-run', 'condition_met') },
  { name: 'anyRole: viewer lacks every role', input: { target: target('POST', HOST, '/api/deployments/abc/create_flow_run'), identity: alice }, want: deny('prefect-run', 'condition_unmet') },
  { name: 'conditions need an identity', input: { target: target('POST', HOST, '/api/deployments/abc/create_flow_run'), identity: anonymous }, want: unauthenticated('prefect-run') },
  { name: '`*` is one segment only', input: { target: target('POST', HOST, '/api/deployments/a/b/create_flow_run'), identity: bob }, want: deny('prefect-write', 'condition_unmet') },
  { name: 'allRoles: one of two is not enough', input: { target: target('PUT', HOST, '/api/flows/1'), identity: bob }, want: deny('prefect-write', 'condition_unmet') },
  { name: 'allRoles: both held', input: { target: target('DELETE', HOST, '/api/flows/1'), identity: carol }, want: allow('prefect-write', 'condition_met') },
  { name: 'list of blocks: the first block holds', input: { target: target('GET', HOST, '/api/flows'), identity: alice }, want: allow('prefect-read', 'condition_met') },
  { name: 'list of blocks: the second block holds', input: { target: target('GET', HOST, '/api/flows'), identity: identity({ username: 'dan', groups: ['/platform/admins'] }) }, want: allow('prefect-read', 'condition_met') },
  { name: 'list of blocks: none holds', input: { target: target('GET', HOST, '/api/flows'), identity: bob }, want: deny('prefect-read', 'condition_unmet') },
  { name: 'authenticated: any identity', input: { target: target('GET', HOST, '/ui/dashboard'), identity: identity({ username: 'nobody' }) }, want: allow('prefect-ui', 'authenticated') },
  { name: 'authenticated: anonymous must sign in', input: { target: target('GET', HOST, '/ui/dashboard'), identity: anonymous }, want: unauthenticated('prefect-ui') },
  { name: 'users: listed', input: { target: target('GET', HOST, '/reports/q1'), identity: alice }, want: allow('reports', 'condition_met') },
  { name: 'users: not listed', input: { target: target('GET', HOST, '/reports/q1'), identity: bob }, want: deny('reports', 'condition_unmet') },
  { name: 'users: an identity without username never matches', input: { target: target('GET', HOST, '/reports/q1'), identity: identity({ username: '' }) }, want: deny('reports', 'condition_unmet') },
  { name: 'scopes: any listed scope', input: { target: target('POST', HOST, '/machine/jobs'), identity: bob }, want: allow('machine', 'condition_met') },
  { name: 'scopes: none of them', input: { target: target('POST', HOST, '/machine/jobs'), identity: alice }, want: deny('machine', 'condition_unmet') },
  { name: 'every key of a block must hold', input: { target: target('GET', HOST, '/both/x'), identity: identity({ username: 'eve', roles: ['engineer'] }) }, want: deny('both-keys', 'condition_unmet') },
  { name: 'every key of a block holds', input: { target: target('GET', HOST, '/both/x'), identity: bob }, want: allow('both-keys', 'condition_met') },
  { name: 'no rule: default deny', input: { target: target('GET', HOST, '/elsewhere'), identity: carol }, want: deny('(default)', 'default_deny') },
  { name: 'another host: default deny', input: { target: target('GET', 'argo.example.com', '/api/health'), identity: anonymous }, want: deny('(default)', 'default_deny') },
  { name: 'paths are case-sensitive', input: { target: target('GET', HOST, '/API/health'), identity: anonymous }, want: deny('(default)', 'default_deny') },
  { name: 'an unknown method matches only rules without methods', input: { target: target('PROPFIND', HOST, '/ui/x'), identity: alice }, want: allow('prefect-ui', 'authenticated') },
  { name: 'an unknown method skips rules with methods', input: { target: target('PROPFIND', HOST, '/api/flows'), identity: carol }, want: deny('(default)', 'default_deny') },
];

describe('evaluate', () => {
  for (const { name, input, want } of cases) {
    it(name, () => assert.deepEqual(evaluate(policy, input.target, input.identity), want));
  }
});

describe('default: authenticated', () => {
  const open = buildPolicy([{ name: 'health', paths: ['/health'], allow: 'public' }], 'authenticated');
  const table: Case[] = [
    { name: 'an identity passes', input: { target: target('GET', 'a.example.com', '/x'), identity: alice }, want: allow('(default)', 'default_authenticated') },
    { name: 'anonymous must sign in', input: { target: target('GET', 'a.example.com', '/x'), identity: anonymous }, want: unauthenticated('(default)') },
    { name: 'a rule still decides first', input: { target: target('GET', 'a.example.com', '/health'), identity: anonymous }, want: allow('health', 'public') },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(evaluate(open, input.target, input.identity), want));
  }
});

describe('matchRule', () => {
  it('first match wins, even when a later rule would allow', () => {
    const p = buildPolicy([
      { name: 'narrow-deny', paths: ['/a/secret'], deny: true },
      { name: 'broad-allow', paths: ['/a/**'], allow: 'public' },
    ]);
    assert.equal(matchRule(p, target('GET', 'h', '/a/secret')).name, 'narrow-deny');
    assert.equal(matchRule(p, target('GET', 'h', '/a/other')).name, 'broad-allow');
  });

  it('says whether the decision needs an identity', () => {
    const table = [
      { name: 'public', input: target('GET', HOST, '/api/health'), want: false },
      { name: 'deny rule', input: target('GET', HOST, '/api/admin/x'), want: false },
      { name: 'conditions', input: target('GET', HOST, '/api/flows'), want: true },
      { name: 'authenticated', input: target('GET', HOST, '/ui/'), want: true },
      { name: 'default deny', input: target('GET', HOST, '/nowhere'), want: false },
    ];
    for (const { name, input, want } of table) assert.equal(matchRule(policy, input).needsIdentity, want, name);
    const open = buildPolicy([{ name: 'x', paths: ['/x'], allow: 'public' }], 'authenticated');
    assert.equal(matchRule(open, target('GET', 'h', '/y')).needsIdentity, true, 'default authenticated');
  });

  it('one match decides every identity: decide on a match reused across the table gives each case\'s decision', () => {
    // evaluate is decide(matchRule(...)), so comparing the two proves nothing; the service matches once before it
    // knows the caller, so one match must serve anonymous, alice, bob and carol alike without carrying state over.
    const matches = new Map<string, ReturnType<typeof matchRule>>();
    for (const { name, input, want } of [...cases, ...cases]) {
      const key = `${input.target.method} ${input.target.host} ${input.target.path}`;
      const match = matches.get(key) ?? matchRule(policy, input.target);
      matches.set(key, match);
      assert.deepEqual(decide(match, input.identity), want, name);
    }
    assert.ok(matches.size < cases.length, 'some targets are shared by several identities');
  });

  it('never matches on the query (the target has none; a "?" in a path is literal text)', () => {
    const p = buildPolicy([{ name: 'exact', paths: ['/search'], allow: 'public' }]);
    assert.equal(matchRule(p, target('GET', 'h', '/search')).name, 'exact');
    assert.equal(matchRule(p, target('GET', 'h', '/search?q=1')).name, '(default)');
  });

  it('repeated evaluation allocates no new match for rules without captures', () => {
    const a = matchRule(policy, target('GET', HOST, '/api/flows'));
    const b = matchRule(policy, target('GET', HOST, '/api/flows'));
    assert.equal(a, b);
  });
});
