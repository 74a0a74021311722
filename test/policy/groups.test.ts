/** anyGroup matches the group and its subgroups, by whole path segments. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/policy/evaluate.js';
import { inGroup } from '../../src/policy/conditions.js';
import { buildPolicy, carol, identity, target } from './fixtures.js';

describe('anyGroup and subgroups', () => {
  const table: { name: string; input: readonly string[]; want: boolean }[] = [
    { name: 'the group itself', input: ['/platform/admins'], want: true },
    { name: 'a subgroup', input: ['/platform/admins/sre'], want: true },
    { name: 'a deeper subgroup', input: ['/platform/admins/sre/oncall'], want: true },
    { name: 'a sibling with the same prefix', input: ['/platform/admins2'], want: false },
    { name: 'the parent group', input: ['/platform'], want: false },
    { name: 'another tree', input: ['/data/platform/admins'], want: false },
    { name: 'one of several groups', input: ['/x', '/platform/admins/sre'], want: true },
    { name: 'no groups', input: [], want: false },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.equal(inGroup(input, '/platform/admins'), want));
  }

  it('decides through the policy', () => {
    const p = buildPolicy([{ name: 'admins', paths: ['/admin/**'], allow: { anyGroup: ['/platform/admins'] } }]);
    assert.equal(evaluate(p, target('GET', 'h', '/admin'), carol).kind, 'allow');
    assert.equal(evaluate(p, target('GET', 'h', '/admin'), identity({ username: 's', groups: ['/platform/admins/sre'] })).kind, 'allow');
    assert.equal(evaluate(p, target('GET', 'h', '/admin'), identity({ username: 't', groups: ['/platform/admins2'] })).kind, 'deny');
  });
});
