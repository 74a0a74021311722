/** describeNeeds: a rule's needs in one line for the 403 page (issue 16 point 6); never users or claim values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchRule } from '../../src/policy/evaluate.js';
import { describeNeeds } from '../../src/policy/needs.js';
import { buildPolicy, target } from './fixtures.js';

const policy = buildPolicy([
  { name: 'admin', paths: ['/admin/**'], allow: { anyRole: ['admin'] } },
  { name: 'write', paths: ['/write/**'], allow: { anyRole: ['engineer', 'admin'] } },
  { name: 'both', paths: ['/both/**'], allow: { allRoles: ['engineer', 'prefect:operator'] } },
  { name: 'one-of-all', paths: ['/one-of-all/**'], allow: { allRoles: ['engineer'] } },
  { name: 'team', paths: ['/team/{team}/**'], allow: { anyRole: ['argo-{team}-*', 'admin'] } },
  { name: 'groups', paths: ['/groups/**'], allow: { anyGroup: ['/platform/admins', '/data/*'] } },
  { name: 'user', paths: ['/user/**'], allow: { users: ['alice'] } },
  { name: 'users', paths: ['/users/**'], allow: { users: ['alice', 'bob', 'carol'] } },
  { name: 'scopes', paths: ['/scopes/**'], allow: { scopes: ['api:write'] } },
  { name: 'clients', paths: ['/clients/**'], allow: { clients: ['ci-bot', 'deployer'] } },
  { name: 'claim', paths: ['/claim/**'], allow: { claims: { tenant: ['acme', 'globex'] } } },
  { name: 'claims', paths: ['/claims/**'], allow: { claims: { tenant: 'acme', email_verified: true } } },
  { name: 'acr', paths: ['/acr/**'], allow: { acr: ['gold', 'silver'] } },
  { name: 'amr', paths: ['/amr/**'], allow: { amr: ['otp'] } },
  { name: 'recent', paths: ['/recent/**'], allow: { maxAuthAge: 300 } },
  { name: 'anded', paths: ['/anded/**'], allow: { anyRole: ['engineer'], scopes: ['api:write'], maxAuthAge: 60 } },
  { name: 'either', paths: ['/either/**'], allow: [{ clients: ['ci-bot'] }, { anyRole: ['admin'], acr: ['gold'] }] },
  { name: 'closed', paths: ['/closed/**'], deny: true },
  { name: 'open', paths: ['/open/**'], allow: 'public' },
  { name: 'any', paths: ['/any/**'], allow: 'authenticated' },
]);

describe('describeNeeds', () => {
  const table: { name: string; input: string; want: string }[] = [
    { name: 'one role', input: '/admin/x', want: 'role admin' },
    { name: 'any of two roles', input: '/write/x', want: 'any role of engineer, admin' },
    { name: 'all roles, client role as written', input: '/both/x', want: 'every role of engineer, prefect:operator' },
    { name: 'allRoles with one role', input: '/one-of-all/x', want: 'role engineer' },
    { name: 'templates and patterns as written, never expanded with the path', input: '/team/billing/x', want: 'any role of argo-{team}-*, admin' },
    { name: 'groups, patterns as written', input: '/groups/x', want: 'any group of /platform/admins, /data/*' },
    { name: 'one user: not named', input: '/user/x', want: 'the one user the rule names' },
    { name: 'users: counted, not named', input: '/users/x', want: 'one of the 3 users the rule names' },
    { name: 'scope', input: '/scopes/x', want: 'scope api:write' },
    { name: 'clients', input: '/clients/x', want: 'any client of ci-bot, deployer' },
    { name: 'one claim: named, values not shown', input: '/claim/x', want: 'claim tenant with a value the rule allows' },
    { name: 'two claims: named, values not shown', input: '/claims/x', want: 'claims tenant, email_verified with values the rule allows' },
    { name: 'acr', input: '/acr/x', want: 'any sign-in level (acr) of gold, silver' },
    { name: 'amr', input: '/amr/x', want: 'sign-in method (amr) otp' },
    { name: 'maxAuthAge', input: '/recent/x', want: 'a sign-in at most 300 s ago' },
    { name: 'keys of one block joined with and', input: '/anded/x', want: 'role engineer and scope api:write and a sign-in at most 60 s ago' },
    { name: 'blocks joined with or, multi-key blocks in parentheses', input: '/either/x', want: 'client ci-bot or (role admin and sign-in level (acr) gold)' },
    { name: 'deny rule', input: '/closed/x', want: 'nothing lets this request in: the rule denies every request it matches' },
    { name: 'public rule', input: '/open/x', want: 'nothing: the rule is public' },
    { name: 'authenticated rule', input: '/any/x', want: 'any signed-in user' },
    { name: 'no rule, default deny', input: '/elsewhere', want: 'nothing lets this request in: no rule matches it and the policy default is deny' },
  ];
  for (const c of table) it(c.name, () => assert.equal(describeNeeds(matchRule(policy, target('GET', 'app.example.com', c.input))), c.want));

  it('no rule, default authenticated', () => {
    const p = buildPolicy([{ name: 'admin', paths: ['/admin/**'], allow: { anyRole: ['admin'] } }], 'authenticated');
    assert.equal(describeNeeds(matchRule(p, target('GET', 'app.example.com', '/x'))), 'any signed-in user (the policy default)');
  });

  it('names no user and no claim value of the policy, whatever the rule', () => {
    const all = policy.rules.map((r) => describeNeeds({ kind: 'rule', access: r.access })).join('\n');
    for (const secret of ['alice', 'bob', 'carol', 'acme', 'globex', 'true']) assert.ok(!all.includes(secret), `${secret} in:\n${all}`);
  });
});
