/** Public shapes of the Keycloak look-alike: its options, its fixtures and its test controls. */

import type { KeyObject, webcrypto } from 'node:crypto';

import type { JWK } from 'jose';

/** Client roles keyed by client id, as in Keycloak's `resource_access`: `{ prefect: ['operator'] }`. */
export type ClientRoles = Readonly<Record<string, readonly string[]>>;

/** A realm user. Keycloak logs in by username or email, case-insensitively. */
export interface LookalikeUser {
  readonly username: string;
  readonly password: string;
  readonly email?: string;
  /** Display name; Keycloak splits it into `given_name` and `family_name`. */
  readonly name?: string;
  readonly realmRoles?: readonly string[];
  readonly clientRoles?: ClientRoles;
  /** Full group paths, `/a/b`. */
  readonly groups?: readonly string[];
}

/** Roles of a client's service account, used by the client_credentials grant. */
export interface ServiceAccountRoles {
  readonly realmRoles?: readonly string[];
  readonly clientRoles?: ClientRoles;
}

/**
 * A confidential client. It can log users in (when it has redirect URIs), act as a service account
 * (when it has serviceAccountRoles), or both. Redirect URIs may hold `*` wildcards: a trailing `*`
 * matches any rest of the URI, any other `*` matches within one host label, port or path segment.
 */
export interface LookalikeClient {
  readonly clientId: string;
  readonly secret: string;
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly backchannelLogoutUri?: string;
  readonly serviceAccountRoles?: ServiceAccountRoles;
}

/** Options of startKeycloakLookalike. */
export interface KeycloakLookalikeOptions {
  /** Loopback address to listen on (default 127.0.0.1); anything else is refused. */
  readonly host?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Realm name (default `demo`). */
  readonly realm?: string;
  readonly users?: readonly LookalikeUser[];
  readonly clients?: readonly LookalikeClient[];
  /** Access (and ID) token lifetime in seconds (default 300, Keycloak's default). */
  readonly accessTokenTtlSeconds?: number;
  /** Extra `aud` values (Keycloak's audience mapper); `account` is always present. */
  readonly audience?: readonly string[];
}

/** New roles or groups for a user; an omitted field keeps its current value. */
export interface UserRolesUpdate {
  readonly realmRoles?: readonly string[];
  readonly clientRoles?: ClientRoles;
  readonly groups?: readonly string[];
}

/** How to sign a minted token, for negative tests. Every field defaults to the IdP's current key. */
export interface MintOptions {
  /** Take the base claims (sub, roles, groups, email…) from this realm user. */
  readonly user?: string;
  /** Signing key: a private KeyObject/CryptoKey, a private JWK, or a secret for HS*. */
  readonly key?: webcrypto.CryptoKey | KeyObject | JWK | Uint8Array;
  /** JWS algorithm (default RS256); `none` yields an unsigned token. */
  readonly alg?: string;
  /** `kid` header; null leaves it out. Defaults to the current key's kid (or none for a foreign key). */
  readonly kid?: string | null;
  /** `typ` header; null leaves it out. */
  readonly typ?: string | null;
}

/** Claims to set on a minted token; a claim given as `undefined` is removed. */
export type ClaimOverrides = Readonly<Record<string, unknown>>;

/** Claims of a minted back-channel logout token; `aud` is the receiving client. */
export interface LogoutTokenClaims extends ClaimOverrides {
  readonly aud: string | readonly string[];
  readonly sub?: string;
  readonly sid?: string;
}

/** One back-channel logout delivery made by endSessions. */
export interface BackchannelDelivery {
  readonly clientId: string;
  readonly sid: string | undefined;
  /** HTTP status of the client's answer, or undefined when the request failed. */
  readonly status: number | undefined;
  readonly error?: string;
}

/** What endSessions did. */
export interface EndSessionsResult {
  readonly sessions: number;
  readonly grants: number;
  readonly backchannel: readonly BackchannelDelivery[];
}

/** A public JWK as published at `/certs`. */
export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly use: 'sig' | 'enc';
  readonly alg: string;
  readonly n: string;
  readonly e: string;
}

/** The running look-alike and its test controls. */
export interface KeycloakLookalike {
  /** `http://127.0.0.1:PORT/realms/<realm>`. */
  readonly issuer: string;
  /** Base URL without the realm, `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly realm: string;
  readonly port: number;
  /** Stops listening; requests then fail with ECONNREFUSED. Keys, sessions and grants are kept. */
  stop(): Promise<void>;
  /** Listens again on the same port with the same keys. */
  start(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
  /** Replaces the signing key (new kid); the old one stays in the JWKS only with keepOld. */
  rotateKeys(options?: { readonly keepOld?: boolean }): Promise<void>;
  /** The current signing key id. */
  currentKid(): string;
  /** Changes a user's roles or groups; later tokens (and refreshes) carry the new values. */
  setUserRoles(username: string, update: UserRolesUpdate): void;
  /** Ends the user's IdP sessions and grants, and sends back-channel logout to registered clients. */
  endSessions(username: string): Promise<EndSessionsResult>;
  /** Signs a Keycloak-shaped access token directly, for expired / wrong iss / wrong aud tests. */
  mintAccessToken(overrides?: ClaimOverrides, options?: MintOptions): Promise<string>;
  /** Signs a valid OIDC back-channel logout token (`typ: logout+jwt`). */
  mintLogoutToken(claims: LogoutTokenClaims, options?: MintOptions): Promise<string>;
  /** The JWKS as served at `/certs`: signing keys and the `enc` key. */
  publicJwks(): { keys: PublicJwk[] };
  /** Gets a service-account access token over HTTP (client_credentials, client_secret_basic). */
  clientCredentialsToken(clientId: string, secret: string): Promise<string>;
  /** Realm user's subject (`sub`), a UUID fixed for the life of this instance. */
  subjectOf(username: string): string;
}
