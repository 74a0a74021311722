/**
 * The explain view (DESIGN §8 `keygate explain`): the decision, the rule that made it, why each
 * earlier rule did not match, and which condition held or failed. The decision itself always comes
 * from matchRule/decide, so explain can never disagree with the service.
 */
import type { Identity } from '../identity/types.js';
import type { CompiledPolicy, CompiledRule } from './compiled.js';
import { methodBit } from './compile.js';
import { checkBlocks, type ConditionCheck } from './conditions.js';
import { decide, matchRule, type MatchTarget } from './evaluate.js';
import { hostMatches } from './host-pattern.js';
import { testPath } from './path-pattern.js';
import type { Decision } from './types.js';

/** Which criterion of a rule did not match. */
export interface Mismatch {
  readonly on: 'host' | 'method' | 'path';
  readonly detail: string;
}

/** An earlier rule that did not match, and why. */
export interface SkippedRule {
  readonly index: number;
  readonly name: string;
  readonly mismatches: readonly Mismatch[];
}

/** The rule that decided, with its position in the file. */
export interface DecidingRule {
  readonly index: number;
  readonly name: string;
  readonly line: number;
  readonly column: number;
}

/** Everything `keygate explain` shows. */
export interface Explanation {
  readonly decision: Decision;
  /** The deciding rule; undefined when no rule matched and the policy default decided. */
  readonly rule: DecidingRule | undefined;
  readonly captures: Readonly<Record<string, string>>;
  /** Every rule before the deciding one (all rules when the default decided). */
  readonly skipped: readonly SkippedRule[];
  /** Per key of each condition block of the deciding rule (empty unless it has conditions and an identity). */
  readonly conditions: readonly ConditionCheck[];
  /** One sentence saying why the deciding rule or default gave this decision. */
  readonly reason: string;
}

/** Explains the decision for `target` and `identity` (undefined = anonymous) at `now` (epoch ms). */
export function explain(policy: CompiledPolicy, matchTarget: MatchTarget, identity?: Identity, now?: number): Explanation {
  const target = policy.caseInsensitivePaths === true ? { ...matchTarget, path: matchTarget.path.toLowerCase() } : matchTarget;
  const match = matchRule(policy, target);
  const decision = decide(match, identity, now);
  const rule = match.rule;
  const end = rule === undefined ? policy.rules.length : rule.index;
  const skipped = policy.rules.slice(0, end).map((r) => ({ index: r.index, name: r.name, mismatches: mismatches(r, target) }));
  const conditions = match.access.kind === 'conditions' && identity !== undefined ? checkBlocks(match.access.blocks, identity, match.captures, now) : [];
  return {
    decision,
    rule: rule === undefined ? undefined : { index: rule.index, name: rule.name, line: rule.line, column: rule.column },
    captures: match.captures,
    skipped,
    conditions,
    reason: reasonText(policy, rule, decision, conditions),
  };
}

/** Every criterion of `rule` that `target` fails (empty when the rule matches). */
export function mismatches(rule: CompiledRule, target: MatchTarget): Mismatch[] {
  const out: Mismatch[] = [];
  if (rule.hosts !== undefined && !rule.hosts.some((h) => hostMatches(h, target.host))) {
    out.push({ on: 'host', detail: `host ${JSON.stringify(target.host)} is not in [${rule.hosts.map((h) => h.source).join(', ')}]` });
  }
  if ((rule.methodMask & methodBit(target.method)) === 0) {
    out.push({ on: 'method', detail: `method ${target.method} is not in [${(rule.methods ?? []).join(', ')}]` });
  }
  if (rule.paths !== undefined) {
    const slots = new Int32Array(Math.max(2, ...rule.paths.map((p) => p.captures.length * 2)));
    if (!rule.paths.some((p) => testPath(p, target.path, slots))) {
      out.push({ on: 'path', detail: `path ${JSON.stringify(target.path)} matches none of [${rule.paths.map((p) => p.source).join(', ')}]` });
    }
  }
  return out;
}

function reasonText(policy: CompiledPolicy, rule: CompiledRule | undefined, decision: Decision, conditions: readonly ConditionCheck[]): string {
  if (rule === undefined) {
    if (policy.default === 'deny') return 'no rule matched; the policy default is deny';
    return decision.kind === 'allow'
      ? 'no rule matched; the policy default allows any authenticated identity'
      : 'no rule matched; the policy default needs an identity and the request has none';
  }
  const access = rule.access;
  if (access.kind === 'deny') return 'the rule denies every request it matches (deny: true)';
  if (access.kind === 'public') return 'the rule allows everyone (allow: public)';
  if (decision.kind === 'unauthenticated') return 'the rule needs an identity and the request has none';
  if (access.kind === 'authenticated') return 'the rule allows any authenticated identity (allow: authenticated)';
  const held = access.blocks.findIndex((_, b) => conditions.filter((c) => c.block === b).every((c) => c.held));
  if (decision.kind === 'allow') return `condition block allow[${held}] held`;
  const none = `no condition block held (${access.blocks.length === 1 ? 'one block' : `${access.blocks.length} blocks`}; each needs every key to hold)`;
  if (decision.kind !== 'deny' || decision.stepUp === undefined) return none;
  const { acr, maxAge } = decision.stepUp;
  const wanted = [acr === undefined ? '' : `acr ${acr.join(' or ')}`, maxAge === undefined ? '' : `at most ${maxAge} s ago`].filter((w) => w !== '').join(', ');
  return `${none}; a new sign-in (${wanted}) would satisfy one (step-up)`;
}
