/**
 * Where a request's decision is made. `matchRule` finds the first rule whose hosts, methods and paths
 * match the target (first match wins; no match = the policy default); `decide` applies the rule to
 * the caller's identity. Pure and deterministic: no I/O, no clock.
 *
 * Fail-closed invariants: no match is the default (deny unless the operator chose `authenticated`);
 * a rule that needs an identity never allows without one; an unexpandable template never holds.
 */
import type { Identity } from '../identity/types.js';
import type { CompiledPolicy, CompiledRule, RuleMatch } from './compiled.js';
import { methodBit, ruleMatch } from './compile.js';
import { anyBlockHolds } from './conditions.js';
import { rulesForHost } from './host-index.js';
import { readCaptures, testPath } from './path-pattern.js';
import type { Decision, Target } from './types.js';

/** The parts of a Target that matching reads. */
export type MatchTarget = Pick<Target, 'method' | 'host' | 'path'>;

const NONE = 0x7fffffff;

/** Finds the first rule matching the target's host, method and path, or the policy default. */
export function matchRule(policy: CompiledPolicy, target: MatchTarget): RuleMatch {
  const specific = rulesForHost(policy.index, target.host);
  const anyHost = policy.index.anyHost;
  const bit = methodBit(target.method);
  let i = 0;
  let j = 0;
  // Walk the host's rules and the any-host rules merged in policy order.
  for (;;) {
    const a = specific[i] ?? NONE;
    const b = anyHost[j] ?? NONE;
    if (a === NONE && b === NONE) return policy.defaultMatch;
    let r: number;
    if (a < b) {
      r = a;
      i++;
    } else {
      r = b;
      j++;
    }
    const rule = policy.rules[r];
    if (rule === undefined || (rule.methodMask & bit) === 0) continue;
    const match = matchPath(policy, rule, target.path);
    if (match !== undefined) return match;
  }
}

/** The match for `rule` if one of its path patterns matches `path`. */
function matchPath(policy: CompiledPolicy, rule: CompiledRule, path: string): RuleMatch | undefined {
  if (rule.paths === undefined) return policy.staticMatches[rule.index];
  for (const pattern of rule.paths) {
    if (!testPath(pattern, path, policy.slots)) continue;
    if (pattern.captures.length === 0) return policy.staticMatches[rule.index];
    return ruleMatch(rule, readCaptures(pattern, path, policy.slots));
  }
  return undefined;
}

/** Applies the matched rule (or default) to the identity; `undefined` identity means anonymous. */
export function decide(match: RuleMatch, identity: Identity | undefined): Decision {
  const d = match.decisions;
  switch (match.access.kind) {
    case 'deny':
      return d.deny;
    case 'public':
      return d.allow;
    case 'authenticated':
      return identity === undefined ? d.unauthenticated : d.allow;
    case 'conditions':
      if (identity === undefined) return d.unauthenticated;
      return anyBlockHolds(match.access.blocks, identity, match.captures) ? d.allow : d.deny;
  }
}

/** Matches and decides in one step: `decide(matchRule(policy, target), identity)`. */
export function evaluate(policy: CompiledPolicy, target: MatchTarget, identity?: Identity): Decision {
  return decide(matchRule(policy, target), identity);
}
