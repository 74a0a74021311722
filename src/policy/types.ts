/** Types shared by the pure policy engine and its callers. */
import type { Identity } from '../identity/types.js';
import type { UpstreamHeader } from './upstream-headers.js';

/** What a subrequest asks for, built by a proxy adapter from trusted headers. */
export interface Target {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** `http` or `https`. */
  readonly scheme: 'http' | 'https';
  /** Lower-case host, without port. */
  readonly host: string;
  /** Host as sent, with its port if any (used to rebuild the original URL). */
  readonly authority: string;
  /** Normalised path (dot-segments resolved, `//` collapsed, percent-decoded where unambiguous). */
  readonly path: string;
  /** Raw query string without `?` ('' when none). Never matched by rules. */
  readonly query: string;
  /** The original request URI as the client sent it (path + query), for the return URL. */
  readonly rawUri: string;
}

/** The fixed set of reasons a decision can carry (a metric label; never free text). */
export type DecisionReason =
  | 'public'
  | 'authenticated'
  | 'condition_met'
  | 'condition_unmet'
  | 'step_up'
  | 'deny_rule'
  | 'default_deny'
  | 'default_authenticated'
  | 'no_credentials'
  | 'invalid_token'
  | 'expired_token'
  | 'session_expired'
  | 'bad_target'
  | 'untrusted_peer'
  | 'idp_unavailable'
  | 'internal_error';

/** Name used when no rule matched and the policy default decided. */
export const DEFAULT_RULE = '(default)';
/** Name used when no rule was consulted (bad target, untrusted peer, errors before matching). */
export const NO_RULE = '(none)';

/** A decision of the pure engine. */
export type Decision =
  | {
      readonly kind: 'allow';
      readonly rule: string;
      readonly reason: 'public' | 'authenticated' | 'condition_met' | 'default_authenticated';
      /** The rule's upstream headers, when it has any (secrets are SecretValues: never serialised). */
      readonly upstream?: readonly UpstreamHeader[];
    }
  | {
      readonly kind: 'deny';
      readonly rule: string;
      readonly reason: 'condition_unmet' | 'deny_rule' | 'default_deny' | 'step_up';
      /** With reason `step_up`: the sign-in that would satisfy the rule (issue 13 point 3; the HTTP layer may ask for it). */
      readonly stepUp?: StepUp;
    }
  | { readonly kind: 'unauthenticated'; readonly rule: string; readonly reason: 'no_credentials' };

/**
 * A newer or stronger sign-in that would let the caller through: a block failed only on `acr` or `maxAuthAge`.
 * `acr`: the acceptable values (for `acr_values`); `maxAge`: seconds (for `max_age`, RFC 9470 / OIDC Core 3.1.2.1).
 */
export interface StepUp {
  readonly acr: readonly string[] | undefined;
  readonly maxAge: number | undefined;
}

/** Re-exported for convenience of policy callers. */
export type { Identity };
