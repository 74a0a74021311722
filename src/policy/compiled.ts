/** The shapes of a validated and compiled policy (built once at load, read on every request). */
import type { HostPattern } from './host-pattern.js';
import type { HostIndex } from './host-index.js';
import type { PathPattern } from './path-pattern.js';
import type { Template } from './template.js';
import type { UpstreamHeader } from './upstream-headers.js';
import type { Decision } from './types.js';

/** The HTTP methods a rule may list (RFC 9110 §9 plus PATCH). */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'] as const;

/** One of HTTP_METHODS. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The keys of a condition block, in documentation order. */
export const CONDITION_KEYS = ['anyRole', 'allRoles', 'anyGroup', 'users', 'scopes', 'clients', 'claims', 'acr', 'amr', 'maxAuthAge'] as const;

/** One of CONDITION_KEYS. */
export type ConditionKey = (typeof CONDITION_KEYS)[number];

/** What the policy does when no rule matches. */
export type PolicyDefault = 'deny' | 'authenticated';

/** A condition block: every present key must hold; a key holds when any value does (`allRoles`: all). */
export interface ConditionBlock {
  readonly anyRole: readonly Template[] | undefined;
  readonly allRoles: readonly Template[] | undefined;
  readonly anyGroup: readonly Template[] | undefined;
  readonly users: readonly string[] | undefined;
  readonly scopes: readonly string[] | undefined;
  /** Any of these `azp` values (the client the token was issued to). */
  readonly clients: readonly string[] | undefined;
  /** Every listed top-level claim holds one of its allowed values. */
  readonly claims: readonly ClaimCondition[] | undefined;
  /** Any of these `acr` values. */
  readonly acr: readonly string[] | undefined;
  /** Any of these `amr` values. */
  readonly amr: readonly string[] | undefined;
  /** At most this many seconds since `auth_time` (no `auth_time` or no clock: fails). */
  readonly maxAuthAge: number | undefined;
}

/** One entry of a `claims` map: the claim holds when its value (or, for an array claim, any element) is one of `values`. */
export interface ClaimCondition {
  readonly name: string;
  /** Allowed values; compared with their type (`true` never equals `"true"`). */
  readonly values: readonly (string | boolean)[];
}

/** What a rule does once it matched. */
export type Access =
  | { readonly kind: 'deny' }
  | { readonly kind: 'public' }
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'conditions'; readonly blocks: readonly ConditionBlock[] };

/** A validated rule, before indexing. `undefined` criteria match anything. */
export interface RuleSpec {
  /** Position in `rules` (0-based): first match wins. */
  readonly index: number;
  readonly name: string;
  /** Where the rule starts in its file (1-based). */
  readonly line: number;
  readonly column: number;
  readonly hosts: readonly HostPattern[] | undefined;
  readonly methods: readonly HttpMethod[] | undefined;
  readonly paths: readonly PathPattern[] | undefined;
  readonly access: Access;
  /** Headers the rule's 200 answer adds for the upstream (issue 13); undefined when none. */
  readonly headers: readonly UpstreamHeader[] | undefined;
}

/** A validated policy, before indexing. */
export interface PolicySpec {
  readonly default: PolicyDefault;
  readonly rules: readonly RuleSpec[];
  /** Paths match case-insensitively (for case-insensitive upstreams, issue #12); default false. */
  readonly caseInsensitivePaths?: boolean;
}

/** The three decisions a rule can produce, built once so that deciding never allocates. */
export interface RuleDecisions {
  readonly allow: Decision;
  readonly deny: Decision;
  readonly unauthenticated: Decision;
  /** Deny with reason `step_up`, for rules with `acr` or `maxAuthAge` in a block; undefined otherwise. */
  readonly stepUp: Decision | undefined;
}

/** A rule ready for matching. */
export interface CompiledRule extends RuleSpec {
  /** Bit set of accepted methods (see methodBit); -1 when methods are omitted. */
  readonly methodMask: number;
  /** Whether deciding needs the caller's identity (authenticated or conditions). */
  readonly needsIdentity: boolean;
  readonly decisions: RuleDecisions;
}

/** The outcome of matching: the rule (or the policy default) that will decide, and its path captures. */
export interface RuleMatch {
  /** `rule` when a rule matched, `default` when none did. */
  readonly kind: 'rule' | 'default';
  /** The matching rule; undefined for the default. */
  readonly rule: CompiledRule | undefined;
  /** Rule name, or `(default)`: safe as a metric label. */
  readonly name: string;
  readonly access: Access;
  /** Values of `{name}` segments of the path pattern that matched. */
  readonly captures: Readonly<Record<string, string>>;
  /** True when the decision depends on the identity: only then does the HTTP layer verify tokens. */
  readonly needsIdentity: boolean;
  /** The prebuilt decisions of this rule (flattened here: one object fewer to read per request). */
  readonly allow: Decision;
  readonly deny: Decision;
  readonly unauthenticated: Decision;
  readonly stepUp: Decision | undefined;
}

/**
 * One entry of an index list: a RuleMatch (returned as is when a pattern without captures matches)
 * plus what matching reads. Lists are linked through `next`; all fields of an entry sit in one
 * object, so walking a list touches few cache lines even on very large policies.
 */
export interface Candidate extends RuleMatch {
  readonly kind: 'rule';
  readonly rule: CompiledRule;
  /** Rule position: lists are merged by it. */
  readonly index: number;
  readonly methodMask: number;
  readonly paths: readonly PathPattern[] | undefined;
  /** The next candidate of the same list, in policy order. */
  readonly next: Candidate | undefined;
}

/** A compiled policy: immutable apart from the bounded host cache inside `index`. */
export interface CompiledPolicy {
  readonly default: PolicyDefault;
  /** Path patterns were lower-cased at compile time; matching lower-cases the target path too. */
  readonly caseInsensitivePaths?: boolean;
  readonly rules: readonly CompiledRule[];
  /** The match used when no rule matches. */
  readonly defaultMatch: RuleMatch;
  readonly index: HostIndex;
  /** Scratch space for capture positions (matching is synchronous, so one buffer per policy is safe). */
  readonly slots: Int32Array;
}
