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
}
