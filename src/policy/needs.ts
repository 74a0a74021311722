/**
 * What a rule asks of a caller, in one line, for the browser 403 page (issue 16 point 6): "role admin",
 * "(any role of engineer, admin and scope api:write) or client ci-bot". Pure; built from the compiled policy only,
 * never from a token. Role and group templates and patterns are shown as written (`argo-{team}-*`), not expanded.
 *
 * Shown to any signed-in caller the rule refuses, so it names what the policy needs and never who has it: `users`
 * is a count (the list would tell a stranger whom to phish), `claims` names the claims but not their allowed values.
 */
import type { Access, ConditionBlock, ConditionKey, RuleMatch } from './compiled.js';
import { presentKeys } from './conditions.js';

/** The one-line needs of a matched rule, or of the policy default when no rule matched. */
export function describeNeeds(match: Pick<RuleMatch, 'kind' | 'access'>): string {
  if (match.kind === 'default') {
    return match.access.kind === 'deny' ? 'nothing lets this request in: no rule matches it and the policy default is deny' : 'any signed-in user (the policy default)';
  }
  return describeAccess(match.access);
}

/** The one-line needs of a rule's access. */
export function describeAccess(access: Access): string {
  switch (access.kind) {
    case 'deny': return 'nothing lets this request in: the rule denies every request it matches';
    case 'public': return 'nothing: the rule is public';
    case 'authenticated': return 'any signed-in user';
    case 'conditions': {
      const blocks = access.blocks.map(describeBlock);
      if (blocks.length === 1) return blocks[0] ?? '';
      return access.blocks.map((b, i) => (presentKeys(b).length > 1 ? `(${blocks[i] ?? ''})` : blocks[i] ?? '')).join(' or ');
    }
  }
}

/** Every key of one block, joined with "and" (a block holds when every key does). */
export function describeBlock(block: ConditionBlock): string {
  return presentKeys(block).map((key) => describeKey(block, key)).join(' and ');
}

function describeKey(block: ConditionBlock, key: ConditionKey): string {
  switch (key) {
    case 'anyRole': return anyOf('role', (block.anyRole ?? []).map((t) => t.source));
    case 'allRoles': return allOf('role', (block.allRoles ?? []).map((t) => t.source));
    case 'anyGroup': return anyOf('group', (block.anyGroup ?? []).map((t) => t.source));
    case 'users': {
      const n = block.users?.length ?? 0;
      return n === 1 ? 'the one user the rule names' : `one of the ${n} users the rule names`;
    }
    case 'scopes': return anyOf('scope', block.scopes ?? []);
    case 'clients': return anyOf('client', block.clients ?? []);
    case 'claims': {
      const names = (block.claims ?? []).map((c) => c.name);
      return names.length === 1 ? `claim ${names[0] ?? ''} with a value the rule allows` : `claims ${names.join(', ')} with values the rule allows`;
    }
    case 'acr': return anyOf('sign-in level (acr)', block.acr ?? []);
    case 'amr': return anyOf('sign-in method (amr)', block.amr ?? []);
    case 'maxAuthAge': return `a sign-in at most ${block.maxAuthAge ?? 0} s ago`;
  }
}

function anyOf(what: string, values: readonly string[]): string {
  return values.length === 1 ? `${what} ${values[0] ?? ''}` : `any ${what} of ${values.join(', ')}`;
}

function allOf(what: string, values: readonly string[]): string {
  return values.length === 1 ? `${what} ${values[0] ?? ''}` : `every ${what} of ${values.join(', ')}`;
}
