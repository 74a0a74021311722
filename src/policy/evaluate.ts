/**
 * Where a request's decision is made. `matchRule` finds the first rule whose hosts, methods and paths
 * match the target (first match wins; no match = the policy default); `decide` applies the rule to
 * the caller's identity. Pure and deterministic: no I/O; the clock (for `maxAuthAge`) is a parameter.
 *
 * Fail-closed invariants: no match is the default (deny unless the operator chose `authenticated`);
 * a rule that needs an identity never allows without one; an unexpandable template never holds.
 */
import type { Identity } from '../identity/types.js';
import type { Candidate, CompiledPolicy, RuleMatch } from './compiled.js';
import { methodBit, ruleMatch } from './compile.js';
import { anyBlockHolds, signInWouldHelp } from './conditions.js';
import { bucketFor, candidates, firstSegment } from './host-index.js';
import { readCaptures, testPath } from './path-pattern.js';
import type { Decision, Target } from './types.js';

/** The parts of a Target that matching reads. */
export type MatchTarget = Pick<Target, 'method' | 'host' | 'path'>;

/** Finds the first rule matching the target's host, method and path, or the policy default. */
export function matchRule(policy: CompiledPolicy, target: MatchTarget): RuleMatch {
  const path = policy.caseInsensitivePaths === true ? target.path.toLowerCase() : target.path;
  const segment = firstSegment(path);
  let a = candidates(bucketFor(policy.index, target.host), segment);
  let b = candidates(policy.index.anyHost, segment);
  const bit = methodBit(target.method);
  // Walk the host's candidates and the any-host candidates merged in policy order.
  for (;;) {
    let c: Candidate;
    if (a === undefined) {
      if (b === undefined) return policy.defaultMatch;
      c = b;
      b = b.next;
    } else if (b === undefined || a.index < b.index) {
      c = a;
      a = a.next;
    } else {
      c = b;
      b = b.next;
    }
    if ((c.methodMask & bit) === 0) continue;
    const match = matchPath(policy, c, path);
    if (match !== undefined) return match;
  }
}

/** The match for the candidate's rule if one of its path patterns matches `path`. */
function matchPath(policy: CompiledPolicy, c: Candidate, path: string): RuleMatch | undefined {
  if (c.paths === undefined) return c;
  for (const pattern of c.paths) {
    if (!testPath(pattern, path, policy.slots)) continue;
    if (pattern.captures.length === 0) return c;
    return ruleMatch(c.rule, readCaptures(pattern, path, policy.slots));
  }
  return undefined;
}

/**
 * Applies the matched rule (or default) to the identity; `undefined` identity means anonymous. `now` is
 * epoch milliseconds, passed in by the caller; without it a `maxAuthAge` condition never holds.
 */
export function decide(match: RuleMatch, identity: Identity | undefined, now?: number): Decision {
  switch (match.access.kind) {
    case 'deny':
      return match.deny;
    case 'public':
      return match.allow;
    case 'authenticated':
      return identity === undefined ? match.unauthenticated : match.allow;
    case 'conditions':
      if (identity === undefined) return match.unauthenticated;
      if (anyBlockHolds(match.access.blocks, identity, match.captures, now)) return match.allow;
      // Only on the deny path: would a newer or stronger sign-in do? (issue 13 point 3)
      return match.stepUp !== undefined && signInWouldHelp(match.access.blocks, identity, match.captures) ? match.stepUp : match.deny;
  }
}

/** Matches and decides in one step: `decide(matchRule(policy, target), identity, now)`. */
export function evaluate(policy: CompiledPolicy, target: MatchTarget, identity?: Identity, now?: number): Decision {
  return decide(matchRule(policy, target), identity, now);
}
