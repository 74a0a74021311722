/**
 * Compiles a validated PolicySpec into the structures used per request: method bit sets, prebuilt
 * decisions and matches, and the host index. Everything that can be done once is done here.
 */
import {
  HTTP_METHODS,
  type Access,
  type Candidate,
  type CompiledPolicy,
  type CompiledRule,
  type PolicySpec,
  type RuleDecisions,
  type RuleMatch,
  type RuleSpec,
} from './compiled.js';
import { buildHostIndex } from './host-index.js';
import { lowerCasePattern } from './path-pattern.js';
import { DEFAULT_RULE, type Decision } from './types.js';
import type { UpstreamHeader } from './upstream-headers.js';

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
  const accesses = new Map<string, Access>();
  const blanks = blankUpstreamHeaders(spec.rules);
  // Case-insensitive paths: patterns are lower-cased once here, the target path once per match (evaluate).
  const rules = (spec.caseInsensitivePaths === true ? spec.rules.map(lowerCasePaths) : spec.rules).map((r) => compileRule(r, accesses, blanks));
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
    ...defaultDecisions(blanks),
  };
  const makeCandidate = (index: number, next: Candidate | undefined): Candidate => {
    const rule = rules[index];
    if (rule === undefined) throw new Error(`no rule ${index}`); // unreachable: indexes come from `rules`
    // The fields read while walking a list come first, so they share the object's first cache line.
    const { allow, deny, unauthenticated, stepUp } = rule.decisions;
    return {
      index, methodMask: rule.methodMask, paths: rule.paths, next,
      kind: 'rule', rule, name: rule.name, access: rule.access, captures: NO_CAPTURES, needsIdentity: rule.needsIdentity,
      allow, deny, unauthenticated, stepUp,
    };
  };
  const compiled = { default: spec.default, rules, defaultMatch, index: buildHostIndex(rules, makeCandidate), slots: new Int32Array(Math.max(2, maxCaptures * 2)) };
  return spec.caseInsensitivePaths === true ? { ...compiled, caseInsensitivePaths: true } : compiled;
}

function lowerCasePaths(r: RuleSpec): RuleSpec {
  return r.paths === undefined ? r : { ...r, paths: r.paths.map(lowerCasePattern) };
}

/** A match of `rule` with the given captures. */
export function ruleMatch(rule: CompiledRule, captures: Readonly<Record<string, string>>): RuleMatch {
  return { kind: 'rule', rule, name: rule.name, access: rule.access, captures, needsIdentity: rule.needsIdentity, ...rule.decisions };
}

/**
 * Every upstream header name the policy's rules add, valued empty. Each allow answer carries all of them, the
 * deciding rule's own values over the blanks, as it carries every identity header (DESIGN §3): Caddy 2.6 copies a
 * `copy_headers` name missing from the answer into the upstream request as its literal placeholder text.
 */
function blankUpstreamHeaders(rules: readonly RuleSpec[]): readonly UpstreamHeader[] {
  const names = new Map<string, string>();
  for (const r of rules) for (const h of r.headers ?? []) if (!names.has(h.lower)) names.set(h.lower, h.name);
  return [...names].map(([lower, name]) => ({ name, lower, value: { kind: 'fixed', value: '' } }));
}

/** A rule's upstream headers over the policy's blanks; undefined when the policy adds none. */
function withBlanks(own: RuleSpec['headers'], blanks: readonly UpstreamHeader[]): readonly UpstreamHeader[] | undefined {
  if (blanks.length === 0) return own;
  const mine = new Set((own ?? []).map((h) => h.lower));
  return [...blanks.filter((h) => !mine.has(h.lower)), ...(own ?? [])];
}

function compileRule(spec: RuleSpec, accesses: Map<string, Access>, blanks: readonly UpstreamHeader[]): CompiledRule {
  let methodMask = -1;
  if (spec.methods !== undefined) {
    methodMask = 0;
    for (const m of spec.methods) methodMask |= methodBit(m);
  }
  // Equal access blocks are shared (immutable), keeping the per-request working set small.
  const key = JSON.stringify(spec.access);
  const access = accesses.get(key) ?? spec.access;
  accesses.set(key, access);
  const needsIdentity = access.kind === 'authenticated' || access.kind === 'conditions';
  return { ...spec, access, methodMask, needsIdentity, decisions: ruleDecisions(spec.name, access, withBlanks(spec.headers, blanks)) };
}

function ruleDecisions(rule: string, access: Access, upstream: readonly UpstreamHeader[] | undefined): RuleDecisions {
  // Allocation order puts `allow` (the decision read most) right before whatever is allocated next.
  const unauthenticated: Decision = { kind: 'unauthenticated', rule, reason: 'no_credentials' };
  const deny: Decision = { kind: 'deny', rule, reason: access.kind === 'deny' ? 'deny_rule' : 'condition_unmet' };
  const allowReason = access.kind === 'public' || access.kind === 'authenticated' ? access.kind : 'condition_met';
  const allow: Decision = upstream === undefined ? { kind: 'allow', rule, reason: allowReason } : { kind: 'allow', rule, reason: allowReason, upstream };
  return { allow, deny, unauthenticated, stepUp: stepUpDecision(rule, access) };
}

/** The step-up deny of a rule whose blocks ask for `acr` or `maxAuthAge`: every acceptable acr, the shortest age. */
function stepUpDecision(rule: string, access: Access): Decision | undefined {
  if (access.kind !== 'conditions') return undefined;
  const signIn = access.blocks.filter((b) => b.acr !== undefined || b.maxAuthAge !== undefined);
  if (signIn.length === 0) return undefined;
  const acr = [...new Set(signIn.flatMap((b) => b.acr ?? []))];
  const ages = signIn.flatMap((b) => (b.maxAuthAge === undefined ? [] : [b.maxAuthAge]));
  const stepUp = { acr: acr.length === 0 ? undefined : acr, maxAge: ages.length === 0 ? undefined : Math.min(...ages) };
  return { kind: 'deny', rule, reason: 'step_up', stepUp };
}

/** Decisions of the policy default; its access (deny or authenticated) picks among them. */
function defaultDecisions(blanks: readonly UpstreamHeader[]): RuleDecisions {
  const rule = DEFAULT_RULE;
  return {
    allow: blanks.length === 0 ? { kind: 'allow', rule, reason: 'default_authenticated' } : { kind: 'allow', rule, reason: 'default_authenticated', upstream: blanks },
    deny: { kind: 'deny', rule, reason: 'default_deny' },
    unauthenticated: { kind: 'unauthenticated', rule, reason: 'no_credentials' },
    stepUp: undefined,
  };
}
