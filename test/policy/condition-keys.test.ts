/** The condition keys of issue 13: clients, claims, acr, amr and maxAuthAge (fail closed on anything missing). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityFromClaims } from '../../src/identity/claims.js';
import type { Identity } from '../../src/identity/types.js';
import { evaluate } from '../../src/policy/evaluate.js';
import type { Decision } from '../../src/policy/types.js';
import { buildPolicy, identity, policyYaml, problems, target } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 1); // epoch ms
const NOW_S = NOW / 1000;

const policy = buildPolicy([
  { name: 'ci-only', paths: ['/ci/**'], allow: { clients: ['ci-bot', 'deployer'] } },
  { name: 'verified', paths: ['/verified/**'], allow: { claims: { email_verified: true } } },
  { name: 'tenant', paths: ['/tenant/**'], allow: { claims: { tenant: ['acme', 'globex'] } } },
  { name: 'two-claims', paths: ['/two-claims/**'], allow: { claims: { tenant: 'acme', email_verified: true } } },
  { name: 'strong', paths: ['/strong/**'], allow: { acr: ['gold', 'silver'] } },
  { name: 'otp', paths: ['/otp/**'], allow: { amr: ['otp', 'hwk'] } },
  { name: 'recent', paths: ['/recent/**'], allow: { maxAuthAge: 300 } },
  { name: 'anded', paths: ['/anded/**'], allow: { anyRole: ['engineer'], clients: ['ci-bot'], maxAuthAge: 60 } },
  { name: 'either', paths: ['/either/**'], allow: [{ clients: ['ci-bot'] }, { acr: ['gold'] }] },
]);

const u = (fields: Partial<Identity> = {}): Identity => identity({ username: 'u', ...fields });
const allowed = (rule: string): Decision => ({ kind: 'allow', rule, reason: 'condition_met' });
const denied = (rule: string): Decision => ({ kind: 'deny', rule, reason: 'condition_unmet' });
/** A deny a new sign-in could fix (acr or maxAuthAge was the only failing key): still a deny, with what to ask for. */
const stepUp = (rule: string, acr: string[] | undefined, maxAge: number | undefined): Decision => ({ kind: 'deny', rule, reason: 'step_up', stepUp: { acr, maxAge } });

describe('new condition keys', () => {
  const table: { name: string; input: { path: string; who: Identity; now?: number }; want: Decision }[] = [
    { name: 'clients: a listed azp', input: { path: '/ci/run', who: u({ client: 'ci-bot' }) }, want: allowed('ci-only') },
    { name: 'clients: another azp', input: { path: '/ci/run', who: u({ client: 'web' }) }, want: denied('ci-only') },
    { name: 'clients: no azp fails closed', input: { path: '/ci/run', who: u() }, want: denied('ci-only') },
    { name: 'claims: boolean true', input: { path: '/verified/x', who: u({ claims: { email_verified: true } }) }, want: allowed('verified') },
    { name: 'claims: boolean false', input: { path: '/verified/x', who: u({ claims: { email_verified: false } }) }, want: denied('verified') },
    { name: 'claims: wrong type (string "true") fails closed', input: { path: '/verified/x', who: u({ claims: { email_verified: 'true' } }) }, want: denied('verified') },
    { name: 'claims: wrong type (list) fails closed', input: { path: '/verified/x', who: u({ claims: { email_verified: ['true'] } }) }, want: denied('verified') },
    { name: 'claims: absent claim fails closed', input: { path: '/verified/x', who: u({ claims: {} }) }, want: denied('verified') },
    { name: 'claims: no claims at all fails closed', input: { path: '/verified/x', who: u() }, want: denied('verified') },
    { name: 'claims: string in the allowed list', input: { path: '/tenant/x', who: u({ claims: { tenant: 'globex' } }) }, want: allowed('tenant') },
    { name: 'claims: string not in the list', input: { path: '/tenant/x', who: u({ claims: { tenant: 'initech' } }) }, want: denied('tenant') },
    { name: 'claims: string-array claim with one allowed element', input: { path: '/tenant/x', who: u({ claims: { tenant: ['initech', 'acme'] } }) }, want: allowed('tenant') },
    { name: 'claims: string-array claim with none allowed', input: { path: '/tenant/x', who: u({ claims: { tenant: ['initech'] } }) }, want: denied('tenant') },
    { name: 'claims: every claim of the map must hold', input: { path: '/two-claims/x', who: u({ claims: { tenant: 'acme', email_verified: false } }) }, want: denied('two-claims') },
    { name: 'claims: both hold', input: { path: '/two-claims/x', who: u({ claims: { tenant: 'acme', email_verified: true } }) }, want: allowed('two-claims') },
    { name: 'acr: listed', input: { path: '/strong/x', who: u({ acr: 'silver' }) }, want: allowed('strong') },
    { name: 'acr: not listed', input: { path: '/strong/x', who: u({ acr: '1' }) }, want: stepUp('strong', ['gold', 'silver'], undefined) },
    { name: 'acr: absent fails closed', input: { path: '/strong/x', who: u() }, want: stepUp('strong', ['gold', 'silver'], undefined) },
    { name: 'amr: any of', input: { path: '/otp/x', who: u({ amr: ['pwd', 'otp'] }) }, want: allowed('otp') },
    { name: 'amr: none of', input: { path: '/otp/x', who: u({ amr: ['pwd'] }) }, want: denied('otp') },
    { name: 'amr: absent fails closed', input: { path: '/otp/x', who: u() }, want: denied('otp') },
    { name: 'maxAuthAge: signed in 10 s ago', input: { path: '/recent/x', who: u({ authTime: NOW_S - 10 }) }, want: allowed('recent') },
    { name: 'maxAuthAge: exactly the limit', input: { path: '/recent/x', who: u({ authTime: NOW_S - 300 }) }, want: allowed('recent') },
    { name: 'maxAuthAge: one second over', input: { path: '/recent/x', who: u({ authTime: NOW_S - 301 }) }, want: stepUp('recent', undefined, 300) },
    { name: 'maxAuthAge: without auth_time fails closed', input: { path: '/recent/x', who: u() }, want: stepUp('recent', undefined, 300) },
    { name: 'maxAuthAge: without a clock fails closed', input: { path: '/recent/x', who: u({ authTime: NOW_S }), now: -1 }, want: stepUp('recent', undefined, 300) },
    { name: 'maxAuthAge: auth_time far in the future fails closed', input: { path: '/recent/x', who: u({ authTime: NOW_S + 3600 }) }, want: stepUp('recent', undefined, 300) },
    { name: 'keys of a block are ANDed: all hold', input: { path: '/anded/x', who: u({ roles: ['engineer'], client: 'ci-bot', authTime: NOW_S - 5 }) }, want: allowed('anded') },
    { name: 'keys of a block are ANDed: one fails', input: { path: '/anded/x', who: u({ roles: ['engineer'], client: 'ci-bot', authTime: NOW_S - 61 }) }, want: stepUp('anded', undefined, 60) },
    { name: 'blocks are ORed', input: { path: '/either/x', who: u({ acr: 'gold' }) }, want: allowed('either') },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(evaluate(policy, target('GET', 'app.example.com', input.path), input.who, input.now === -1 ? undefined : (input.now ?? NOW)), want));
  }
});

describe('identity from claims: the sign-in context', () => {
  const base = { sub: 's1' };
  const table: { name: string; input: Record<string, unknown>; want: Partial<Identity> }[] = [
    { name: 'azp, acr, amr and auth_time', input: { ...base, azp: 'web', acr: '1', amr: ['pwd', 3], auth_time: 1700000000 }, want: { client: 'web', acr: '1', amr: ['pwd'], authTime: 1700000000 } },
    { name: 'absent ones stay absent', input: base, want: {} },
    { name: 'wrong types are dropped', input: { ...base, azp: 3, acr: true, amr: 'pwd', auth_time: '1700000000' }, want: {} },
  ];
  for (const { name, input, want } of table) {
    it(name, () => {
      const id = identityFromClaims(input, 'bearer');
      assert.ok(id !== undefined);
      assert.deepEqual({ client: id.client, acr: id.acr, amr: id.amr, authTime: id.authTime }, { client: undefined, acr: undefined, amr: undefined, authTime: undefined, ...want });
    });
  }

  it('keeps string, boolean and string-array claims only', () => {
    const id = identityFromClaims({ sub: 's', tenant: 'acme', email_verified: true, teams: ['a', 'b'], age: 42, mixed: ['a', 1], obj: { a: 1 }, nul: null }, 'bearer');
    assert.deepEqual(id?.claims, { sub: 's', tenant: 'acme', email_verified: true, teams: ['a', 'b'] });
  });

  it('a claim named __proto__ or constructor is an ordinary claim, never a prototype', () => {
    const id = identityFromClaims(JSON.parse('{"sub":"s","__proto__":"x"}') as Record<string, unknown>, 'bearer');
    assert.equal(Object.hasOwn(id?.claims ?? {}, '__proto__'), true);
    const p = buildPolicy([{ name: 'c', allow: { claims: { constructor: 'x' } } }]);
    assert.deepEqual(evaluate(p, target('GET', 'a.example.com', '/'), u({ claims: {} }), NOW), denied('c'));
  });
});

describe('validation of the new keys', () => {
  const rule = (allow: unknown): string => policyYaml([{ name: 'r', allow }]);
  const table: { name: string; input: string; want: string[] }[] = [
    { name: 'valid keys', input: rule({ clients: ['a'], claims: { x: 'y', b: [true, 'z'] }, acr: ['1'], amr: ['otp'], maxAuthAge: 300 }), want: [] },
    { name: 'claims must be a mapping', input: rule({ claims: ['email_verified'] }), want: ['policy.yaml:7:9: rules[0] "r": allow.claims must be a non-empty mapping of top-level claim names to a string, a boolean, or a non-empty list of strings and booleans, got a list'] },
    { name: 'a number claim value', input: rule({ claims: { tenant: 42 } }), want: ['policy.yaml:7:17: rules[0] "r": allow.claims.tenant must be a string, a boolean, or a non-empty list of strings and booleans (quote numbers: claims are compared as strings or booleans), got 42'] },
    { name: 'a nested claim name', input: rule({ claims: { 'realm_access.roles': 'x' } }), want: ['policy.yaml:7:9: rules[0] "r": allow.claims names top-level claims (nested claims are not supported), got "realm_access.roles"'] },
    { name: 'maxAuthAge must be whole seconds', input: rule({ maxAuthAge: '5m' }), want: ['policy.yaml:6:19: rules[0] "r": allow.maxAuthAge must be a whole number of seconds since sign-in (auth_time), at least 1, got "5m"'] },
    { name: 'maxAuthAge zero', input: rule({ maxAuthAge: 0 }), want: ['policy.yaml:6:19: rules[0] "r": allow.maxAuthAge must be a whole number of seconds since sign-in (auth_time), at least 1, got 0'] },
    { name: 'an empty clients list', input: rule({ clients: [] }), want: ['policy.yaml:6:16: rules[0] "r": allow.clients must not be an empty list (list at least one of client ids (azp), or omit the key)'] },
    { name: 'did you mean for a misspelt key', input: rule({ client: ['a'] }), want: ['policy.yaml:6:7: rules[0] "r": unknown key "client" in allow, did you mean "clients"? (allowed: anyRole, allRoles, anyGroup, users, scopes, clients, claims, acr, amr, maxAuthAge)'] },
  ];
  for (const { name, input, want } of table) it(name, () => assert.deepEqual(problems(input), want));
});
