/**
 * Condition blocks (DESIGN §5, issue 13): every key of a block must hold; a key holds when any of its
 * values does, except `allRoles`, which needs all. Role and group values are templates expanded with the
 * path captures of the matching pattern, and may be patterns (`argo-*-viewer`, see role-pattern.ts).
 *
 * Fail closed: a missing claim, a claim of another type, `maxAuthAge` without `auth_time` or without a
 * clock, and an unexpandable template never hold.
 */
import type { ClaimValue, Identity } from '../identity/types.js';
import type { ClaimCondition, ConditionBlock, ConditionKey } from './compiled.js';
import { inGroup as isInGroup, matchingGroup, matchingRole } from './role-pattern.js';
import { expand, type Template } from './template.js';

/** The outcome of one key of one block, for explain. */
export interface ConditionCheck {
  /** Index of the block in the rule's `allow` (0 when `allow` is a single block). */
  readonly block: number;
  readonly key: ConditionKey;
  /** The values after template expansion (`claims` as `name=a|b`, `maxAuthAge` as `300s`). */
  readonly values: readonly string[];
  readonly held: boolean;
  /** For role and group keys: which value matched which role or group, e.g. `argo-*-viewer → argo-billing-viewer`. */
  readonly matched: readonly string[];
}

/** Tolerated clock skew (seconds) for an `auth_time` in the future; beyond it, `maxAuthAge` fails. */
export const AUTH_TIME_SKEW = 60;

/** True when any block holds for the identity (a list of blocks means any of them). */
export function anyBlockHolds(blocks: readonly ConditionBlock[], identity: Identity, captures: Readonly<Record<string, string>>, now?: number): boolean {
  for (const block of blocks) if (blockHolds(block, identity, captures, now)) return true;
  return false;
}

/** True when every key present in the block holds. */
export function blockHolds(block: ConditionBlock, identity: Identity, captures: Readonly<Record<string, string>>, now?: number): boolean {
  if (block.anyRole !== undefined && !anyRoleHeld(block.anyRole, identity.roles, captures)) return false;
  if (block.allRoles !== undefined && !allRolesHeld(block.allRoles, identity.roles, captures)) return false;
  if (block.anyGroup !== undefined && !anyGroupHeld(block.anyGroup, identity.groups, captures)) return false;
  // An absent username is '' and never listed: validation refuses empty strings.
  if (block.users !== undefined && !block.users.includes(identity.username)) return false;
  if (block.scopes !== undefined && !anyShared(block.scopes, identity.scopes)) return false;
  if (block.clients !== undefined && (identity.client === undefined || !block.clients.includes(identity.client))) return false;
  if (block.claims !== undefined && !claimsHeld(block.claims, identity.claims)) return false;
  if (block.acr !== undefined && (identity.acr === undefined || !block.acr.includes(identity.acr))) return false;
  if (block.amr !== undefined && !anyShared(block.amr, identity.amr ?? [])) return false;
  if (block.maxAuthAge !== undefined && !recentAuth(block.maxAuthAge, identity.authTime, now)) return false;
  return true;
}

/**
 * True when a block that asks for `acr` or `maxAuthAge` would hold if those two were met: a new sign-in (step-up)
 * could then let the caller through. Called only after every block failed.
 */
export function signInWouldHelp(blocks: readonly ConditionBlock[], identity: Identity, captures: Readonly<Record<string, string>>): boolean {
  for (const block of blocks) {
    if (block.acr === undefined && block.maxAuthAge === undefined) continue;
    if (blockHolds({ ...block, acr: undefined, maxAuthAge: undefined }, identity, captures)) return true;
  }
  return false;
}

/** Checks every key of every block, for explain. `now`: epoch ms (undefined: `maxAuthAge` fails) (evaluation itself stops at the first answer). */
export function checkBlocks(blocks: readonly ConditionBlock[], identity: Identity, captures: Readonly<Record<string, string>>, now?: number): ConditionCheck[] {
  const out: ConditionCheck[] = [];
  blocks.forEach((block, index) => {
    for (const key of presentKeys(block)) {
      const held = blockHolds(onlyKey(block, key), identity, captures, now);
      out.push({ block: index, key, values: expandedValues(block, key, captures), held, matched: matchedValues(block, key, identity, captures) });
    }
  });
  return out;
}

const EMPTY_BLOCK: ConditionBlock = {
  anyRole: undefined, allRoles: undefined, anyGroup: undefined, users: undefined, scopes: undefined,
  clients: undefined, claims: undefined, acr: undefined, amr: undefined, maxAuthAge: undefined,
};

/** A block with only `key` of `block`. */
function onlyKey(block: ConditionBlock, key: ConditionKey): ConditionBlock {
  return { ...EMPTY_BLOCK, [key]: block[key] };
}

/** The keys present in a block, in documentation order. */
export function presentKeys(block: ConditionBlock): ConditionKey[] {
  return (Object.keys(EMPTY_BLOCK) as ConditionKey[]).filter((k) => block[k] !== undefined);
}

/** The values of one key after template expansion (unexpandable templates shown as written). */
export function expandedValues(block: ConditionBlock, key: ConditionKey, captures: Readonly<Record<string, string>>): string[] {
  switch (key) {
    case 'anyRole': case 'allRoles': case 'anyGroup':
      return (block[key] ?? []).map((t) => expand(t, captures) ?? t.source);
    case 'claims':
      return (block.claims ?? []).map((c) => `${c.name}=${c.values.map((v) => JSON.stringify(v)).join('|')}`);
    case 'maxAuthAge':
      return block.maxAuthAge === undefined ? [] : [`${block.maxAuthAge}s`];
    default:
      return [...(block[key] ?? [])];
  }
}

/** For role and group keys, `value → role` for each value held (patterns show what they matched). */
function matchedValues(block: ConditionBlock, key: ConditionKey, identity: Identity, captures: Readonly<Record<string, string>>): string[] {
  const templates = key === 'anyRole' || key === 'allRoles' || key === 'anyGroup' ? block[key] : undefined;
  if (templates === undefined) return [];
  const out: string[] = [];
  for (const t of templates) {
    const hit = key === 'anyGroup' ? matchingGroup(t, identity.groups, captures) : matchingRole(t, identity.roles, captures);
    if (hit !== undefined) out.push(`${expand(t, captures) ?? t.source} → ${hit}`);
  }
  return out;
}

/** Group membership: `/a/b` is held by members of `/a/b` and of its subgroups `/a/b/...`, not `/a/bc`. */
export function inGroup(groups: readonly string[], group: string): boolean {
  for (const g of groups) if (isInGroup(g, group)) return true;
  return false;
}

// The helpers below are plain loops (no closures): they run on every request that reaches a condition.

function anyRoleHeld(templates: readonly Template[], roles: readonly string[], captures: Readonly<Record<string, string>>): boolean {
  for (const t of templates) if (matchingRole(t, roles, captures) !== undefined) return true;
  return false;
}

function allRolesHeld(templates: readonly Template[], roles: readonly string[], captures: Readonly<Record<string, string>>): boolean {
  for (const t of templates) if (matchingRole(t, roles, captures) === undefined) return false;
  return true;
}

function anyGroupHeld(templates: readonly Template[], groups: readonly string[], captures: Readonly<Record<string, string>>): boolean {
  for (const t of templates) if (matchingGroup(t, groups, captures) !== undefined) return true;
  return false;
}

function anyShared(wanted: readonly string[], held: readonly string[]): boolean {
  for (const w of wanted) if (held.includes(w)) return true;
  return false;
}

/** Every claim condition holds; a missing claim or one of another type does not. */
function claimsHeld(conditions: readonly ClaimCondition[], claims: Readonly<Record<string, ClaimValue>> | undefined): boolean {
  if (claims === undefined) return false;
  for (const c of conditions) {
    // Own properties only: `constructor` or `__proto__` never come from Object.prototype.
    if (!Object.hasOwn(claims, c.name)) return false;
    const value = claims[c.name];
    if (value === undefined) return false;
    if (typeof value === 'string' || typeof value === 'boolean') {
      if (!c.values.includes(value)) return false;
    } else if (!value.some((v) => c.values.includes(v))) {
      return false;
    }
  }
  return true;
}

/** `auth_time` at most `max` seconds before `now` (and not beyond the skew in the future). */
function recentAuth(max: number, authTime: number | undefined, now: number | undefined): boolean {
  if (authTime === undefined || now === undefined) return false;
  const age = now / 1000 - authTime;
  return age <= max && age >= -AUTH_TIME_SKEW;
}
