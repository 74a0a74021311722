/**
 * Condition blocks (DESIGN §5): every key of a block must hold; a key holds when any of its values
 * does, except `allRoles`, which needs all. Role and group values are templates expanded with the
 * path captures of the matching pattern.
 */
import type { Identity } from '../identity/types.js';
import type { ConditionBlock, ConditionKey } from './compiled.js';
import { expand, type Template } from './template.js';

/** The outcome of one key of one block, for explain. */
export interface ConditionCheck {
  /** Index of the block in the rule's `allow` (0 when `allow` is a single block). */
  readonly block: number;
  readonly key: ConditionKey;
  /** The values after template expansion. */
  readonly values: readonly string[];
  readonly held: boolean;
}

/** True when any block holds for the identity (a list of blocks means any of them). */
export function anyBlockHolds(blocks: readonly ConditionBlock[], identity: Identity, captures: Readonly<Record<string, string>>): boolean {
  for (const block of blocks) if (blockHolds(block, identity, captures)) return true;
  return false;
}

/** True when every key present in the block holds. */
export function blockHolds(block: ConditionBlock, identity: Identity, captures: Readonly<Record<string, string>>): boolean {
  if (block.anyRole !== undefined && !anyRoleHeld(block.anyRole, identity.roles, captures)) return false;
  if (block.allRoles !== undefined && !allRolesHeld(block.allRoles, identity.roles, captures)) return false;
  if (block.anyGroup !== undefined && !anyGroupHeld(block.anyGroup, identity.groups, captures)) return false;
  // An absent username is '' and never listed: validation refuses empty strings.
  if (block.users !== undefined && !block.users.includes(identity.username)) return false;
  if (block.scopes !== undefined && !anyShared(block.scopes, identity.scopes)) return false;
  return true;
}

/** Checks every key of every block, for explain (evaluation itself stops at the first answer). */
export function checkBlocks(blocks: readonly ConditionBlock[], identity: Identity, captures: Readonly<Record<string, string>>): ConditionCheck[] {
  const out: ConditionCheck[] = [];
  blocks.forEach((block, index) => {
    for (const [key, held] of keyResults(block, identity, captures)) {
      out.push({ block: index, key, values: expandedValues(block, key, captures), held });
    }
  });
  return out;
}

function keyResults(block: ConditionBlock, identity: Identity, captures: Readonly<Record<string, string>>): [ConditionKey, boolean][] {
  const single = (key: ConditionKey, b: ConditionBlock): ConditionBlock => ({
    anyRole: key === 'anyRole' ? b.anyRole : undefined,
    allRoles: key === 'allRoles' ? b.allRoles : undefined,
    anyGroup: key === 'anyGroup' ? b.anyGroup : undefined,
    users: key === 'users' ? b.users : undefined,
    scopes: key === 'scopes' ? b.scopes : undefined,
  });
  const out: [ConditionKey, boolean][] = [];
  for (const key of presentKeys(block)) out.push([key, blockHolds(single(key, block), identity, captures)]);
  return out;
}

/** The keys present in a block, in documentation order. */
export function presentKeys(block: ConditionBlock): ConditionKey[] {
  const keys: ConditionKey[] = [];
  if (block.anyRole !== undefined) keys.push('anyRole');
  if (block.allRoles !== undefined) keys.push('allRoles');
  if (block.anyGroup !== undefined) keys.push('anyGroup');
  if (block.users !== undefined) keys.push('users');
  if (block.scopes !== undefined) keys.push('scopes');
  return keys;
}

/** The values of one key after template expansion (unexpandable templates shown as written). */
export function expandedValues(block: ConditionBlock, key: ConditionKey, captures: Readonly<Record<string, string>>): string[] {
  const values = block[key];
  if (values === undefined) return [];
  return values.map((v) => (typeof v === 'string' ? v : (expand(v, captures) ?? v.source)));
}

/** Group membership: `/a/b` is held by members of `/a/b` and of its subgroups `/a/b/...`, not `/a/bc`. */
export function inGroup(groups: readonly string[], group: string): boolean {
  for (const g of groups) {
    if (g === group) return true;
    if (g.length > group.length && g.charCodeAt(group.length) === 0x2f && g.startsWith(group)) return true;
  }
  return false;
}

// The helpers below are plain loops (no closures): they run on every request that reaches a condition.

function anyRoleHeld(templates: readonly Template[], roles: readonly string[], captures: Readonly<Record<string, string>>): boolean {
  for (const t of templates) {
    const v = expand(t, captures);
    if (v !== undefined && roles.includes(v)) return true;
  }
  return false;
}

function allRolesHeld(templates: readonly Template[], roles: readonly string[], captures: Readonly<Record<string, string>>): boolean {
  for (const t of templates) {
    const v = expand(t, captures);
    if (v === undefined || !roles.includes(v)) return false;
  }
  return true;
}

function anyGroupHeld(templates: readonly Template[], groups: readonly string[], captures: Readonly<Record<string, string>>): boolean {
  for (const t of templates) {
    const v = expand(t, captures);
    if (v !== undefined && inGroup(groups, v)) return true;
  }
  return false;
}

function anyShared(wanted: readonly string[], held: readonly string[]): boolean {
  for (const w of wanted) if (held.includes(w)) return true;
  return false;
}
