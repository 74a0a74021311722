/** A top-level claim value the policy can test (`claims` conditions) or pass upstream: other types are dropped. */
export type ClaimValue = string | boolean | readonly string[];

/** The identity the policy sees: narrowed from verified Keycloak claims only. */
export interface Identity {
  /** `sub` claim. */
  readonly sub: string;
  /** `preferred_username` (empty when absent). */
  readonly username: string;
  /** `email` (empty when absent). */
  readonly email: string;
  /** `name` (empty when absent). */
  readonly name: string;
  /** Realm roles as `role`, client roles as `client:role`. */
  readonly roles: readonly string[];
  /** Full group paths, `/a/b`. */
  readonly groups: readonly string[];
  /** Scopes from the `scope` claim. */
  readonly scopes: readonly string[];
  /** How the caller was identified. */
  readonly via: 'bearer' | 'session';
  /** Keycloak session id (`sid`), when the token carries one. */
  readonly sid?: string;
  /** `azp`: the client the token was issued to, when present (policy `clients`). */
  readonly client?: string;
  /** `acr`, when present (policy `acr`). */
  readonly acr?: string;
  /** `amr` values, when present (policy `amr`). */
  readonly amr?: readonly string[];
  /** `auth_time` in epoch seconds, when present (policy `maxAuthAge`; absent = that condition fails). */
  readonly authTime?: number;
  /** Top-level claims that are strings, booleans or arrays of strings (policy `claims`, claim headers). */
  readonly claims?: Readonly<Record<string, ClaimValue>>;
}
