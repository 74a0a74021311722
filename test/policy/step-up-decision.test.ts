/**
 * The engine's half of step-up (issue 13 point 3): a deny whose only failing keys are `acr` or `maxAuthAge` says so
 * (reason `step_up`, with the acr values and max age to ask for); any other failure stays `condition_unmet`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '../../src/identity/types.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { explain } from '../../src/policy/explain.js';
import type { Decision } from '../../src/policy/types.js';
import { buildPolicy, identity, target } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 1);
const S = NOW / 1000;

const policy = buildPolicy([
  { name: 'run', paths: ['/run/**'], allow: { anyRole: ['engineer'], maxAuthAge: 300 } },
  { name: 'admin', paths: ['/admin/**'], allow: [{ anyRole: ['admin'], acr: ['gold'] }, { anyGroup: ['/oncall'], acr: ['silver', 'gold'], maxAuthAge: 60 }] },
  { name: 'plain', paths: ['/plain/**'], allow: { anyRole: ['engineer'] } },
]);

const who = (fields: Partial<Identity>): Identity => identity({ username: 'u', ...fields });
const stepUp = (rule: string, acr: string[] | undefined, maxAge: number | undefined): Decision => ({ kind: 'deny', rule, reason: 'step_up', stepUp: { acr, maxAge } });
const unmet = (rule: string): Decision => ({ kind: 'deny', rule, reason: 'condition_unmet' });

describe('step-up decisions', () => {
  const table: { name: string; input: { path: string; who: Identity }; want: Decision }[] = [
    { name: 'an engineer who signed in too long ago', input: { path: '/run/x', who: who({ roles: ['engineer'], authTime: S - 301 }) }, want: stepUp('run', undefined, 300) },
    { name: 'an engineer without auth_time', input: { path: '/run/x', who: who({ roles: ['engineer'] }) }, want: stepUp('run', undefined, 300) },
    { name: 'a viewer: a new sign-in would not help', input: { path: '/run/x', who: who({ roles: ['viewer'], authTime: S - 301 }) }, want: unmet('run') },
    { name: 'admin with a weaker acr: every acceptable acr, the shortest age', input: { path: '/admin/x', who: who({ roles: ['admin'], acr: '1' }) }, want: stepUp('admin', ['gold', 'silver'], 60) },
    { name: 'neither role nor group: no step-up', input: { path: '/admin/x', who: who({ roles: ['viewer'], acr: '1' }) }, want: unmet('admin') },
    { name: 'a rule without acr or maxAuthAge never asks for one', input: { path: '/plain/x', who: who({ roles: ['viewer'] }) }, want: unmet('plain') },
    { name: 'a fresh sign-in is allowed', input: { path: '/run/x', who: who({ roles: ['engineer'], authTime: S - 10 }) }, want: { kind: 'allow', rule: 'run', reason: 'condition_met' } },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(evaluate(policy, target('GET', 'a.example.com', input.path), input.who, NOW), want));
  }

  it('explain says a new sign-in would do', () => {
    const e = explain(policy, target('GET', 'a.example.com', '/admin/x'), who({ roles: ['admin'], acr: '1' }), NOW);
    assert.equal(e.reason, 'no condition block held (2 blocks; each needs every key to hold); a new sign-in (acr gold or silver, at most 60 s ago) would satisfy one (step-up)');
  });
});
