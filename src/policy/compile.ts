/**
 * Compiles a validated PolicySpec into the structures used per request: method bit sets, prebuilt
 * decisions and matches, and the host index. Everything that can be done once is done here.
 */
import {
  HTTP_METHODS,
  type Access,
  type CompiledPolicy,
  type CompiledRule,
  type PolicySpec,
  type RuleDecisions,
  type RuleMatch,
  type RuleSpec,
} from './compiled.js';
import { buildHostIndex } from './host-index.js';
import { DEFAULT_RULE, type Decision } from './types.js';

/** Re-exported so callers can import the compiled shapes next to compilePolicy. */
export type { CompiledPolicy, CompiledRule, RuleMatch } from './compiled.js';

const METHOD_BITS: ReadonlyMap<string, number> = new Map(HTTP_METHODS.map((m, i) => [m, 1 << i]));
/** Bit for methods outside HTTP_METHODS: only rules without `methods` accept them. */
const OTHER_METHOD_BIT = 1 << HTTP_METHODS.length;
const NO_CAPTURES: Readonly<Record<string, string>> = Object.freeze({});

/** The bit of an (upper-case) method in a rule's methodMask. */
export function methodBit(method: string): number {
  return METHOD_BITS.get(method) ?? OTHER_METHOD_BIT;
}

/** Compiles a validated policy. Pure; assumes `spec` passed validation. */
export function compilePolicy(spec: PolicySpec): CompiledPolicy {
  const rules = spec.rules.map(compileRule);
  let maxCaptures = 0;
  for (const rule of rules) for (const p of rule.paths ?? []) maxCaptures = Math.max(maxCaptures, p.captures.length);
  const defaultAccess: Access = spec.default === 'deny' ? { kind: 'deny' } : { kind: 'authenticated' };
  const defaultMatch: RuleMatch = {
    kind: 'default',
    rule: undefined,
    name: DEFAULT_RULE,
    access: defaultAccess,
    captures: NO_CAPTURES,
    needsIdentity: spec.default === 'authenticated',
    decisions: defaultDecisions(),
  };
  return {
    default: spec.default,
    rules,
    staticMatches: rules.map((rule) => ruleMatch(rule, NO_CAPTURES)),
    defaultMatch,
    index: buildHostIndex(rules),
    slots: new Int32Array(Math.max(2, maxCaptures * 2)),
  };
}

/** A match of `rule` with the given captures. */
export function ruleMatch(rule: CompiledRule, captures: Readonly<Record<string, string>>): RuleMatch {
  return { kind: 'rule', rule, name: rule.name, access: rule.access, captures, needsIdentity: rule.needsIdentity, decisions: rule.decisions };
}

function compileRule(spec: RuleSpec): CompiledRule {
  let methodMask = -1;
  if (spec.methods !== undefined) {
    methodMask = 0;
    for (const m of spec.methods) methodMask |= methodBit(m);
  }
  const needsIdentity = spec.access.kind === 'authenticated' || spec.access.kind === 'conditions';
  return { ...spec, methodMask, needsIdentity, decisions: ruleDecisions(spec.name, spec.access) };
}

function ruleDecisions(rule: string, access: Access): RuleDecisions {
  const unauthenticated: Decision = { kind: 'unauthenticated', rule, reason: 'no_credentials' };
  switch (access.kind) {
    case 'deny':
      return { allow: { kind: 'allow', rule, reason: 'condition_met' }, deny: { kind: 'deny', rule, reason: 'deny_rule' }, unauthenticated };
    case 'public':
      return { allow: { kind: 'allow', rule, reason: 'public' }, deny: { kind: 'deny', rule, reason: 'condition_unmet' }, unauthenticated };
    case 'authenticated':
      return { allow: { kind: 'allow', rule, reason: 'authenticated' }, deny: { kind: 'deny', rule, reason: 'condition_unmet' }, unauthenticated };
    case 'conditions':
      return { allow: { kind: 'allow', rule, reason: 'condition_met' }, deny: { kind: 'deny', rule, reason: 'condition_unmet' }, unauthenticated };
  }
}

/** Decisions of the policy default; its access (deny or authenticated) picks among them. */
function defaultDecisions(): RuleDecisions {
  const rule = DEFAULT_RULE;
  return {
    allow: { kind: 'allow', rule, reason: 'default_authenticated' },
    deny: { kind: 'deny', rule, reason: 'default_deny' },
    unauthenticated: { kind: 'unauthenticated', rule, reason: 'no_credentials' },
  };
}
