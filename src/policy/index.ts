/** The public API of the pure policy engine: load, normalise, match, decide, explain. */

/** Loads policy YAML into a CompiledPolicy, reporting every problem with file:line:column. */
export { loadPolicy } from './load.js';
/** Compiles an already validated PolicySpec (used by loadPolicy; exposed for programmatic policies). */
export { compilePolicy, methodBit } from './compile.js';
/** Normalises a raw request path, or says why it is ambiguous (answered with 400). */
export { normalizePath, type NormalizedPath } from './normalize-path.js';
/** First-match rule lookup, the decision for an identity, and both in one step. */
export { decide, evaluate, matchRule, type MatchTarget } from './evaluate.js';
/** The explain view used by `keygate explain`. */
export { explain, mismatches, type DecidingRule, type Explanation, type Mismatch, type SkippedRule } from './explain.js';
/** A rule's needs in one line (the browser 403 page). */
export { describeAccess, describeNeeds } from './needs.js';
/** Per-key results of condition blocks (part of an Explanation). */
export { type ConditionCheck } from './conditions.js';
/** Compiled policy shapes and constants. */
export {
  CONDITION_KEYS,
  HTTP_METHODS,
  type Access,
  type CompiledPolicy,
  type CompiledRule,
  type ConditionBlock,
  type ConditionKey,
  type HttpMethod,
  type PolicyDefault,
  type PolicySpec,
  type RuleDecisions,
  type RuleMatch,
  type RuleSpec,
} from './compiled.js';
/** Shared policy types: Target, Decision, reasons and rule-name constants. */
export { DEFAULT_RULE, NO_RULE, type Decision, type DecisionReason, type Identity, type Target } from './types.js';
