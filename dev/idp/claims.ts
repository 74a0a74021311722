/** Keycloak-shaped claims: what Keycloak's default protocol mappers put in its tokens and userinfo. */

import type { RealmUser, ServiceAccount } from './realm.js';
import type { ClientRoles } from './types.js';

/** Claims as a plain JSON object. */
export type Claims = Record<string, unknown>;

/** `aud`: `account` plus the audience mapper's values; a single value is a string, as Keycloak writes it. */
export function audienceClaim(extra: readonly string[]): string | string[] {
  const all = [...new Set(['account', ...extra])];
  return all.length === 1 ? 'account' : all;
}

/** `realm_access` and `resource_access`; Keycloak leaves a claim out when it has no roles. */
export function roleClaims(realmRoles: readonly string[], clientRoles: ClientRoles): Claims {
  const out: Claims = {};
  if (realmRoles.length > 0) out.realm_access = { roles: [...realmRoles] };
  const resource = Object.entries(clientRoles).filter(([, roles]) => roles.length > 0);
  if (resource.length > 0) {
    out.resource_access = Object.fromEntries(resource.map(([client, roles]) => [client, { roles: [...roles] }]));
  }
  return out;
}

/** Profile and email claims (Keycloak's `profile` and `email` scopes). */
export function profileClaims(user: RealmUser): Claims {
  const out: Claims = { preferred_username: user.username };
  if (user.name !== undefined) {
    const [given, ...family] = user.name.split(' ');
    out.name = user.name;
    out.given_name = given;
    if (family.length > 0) out.family_name = family.join(' ');
  }
  if (user.email !== undefined) {
    out.email = user.email;
    out.email_verified = true;
  }
  return out;
}

/** The claims Keycloak adds to a user's access token beside the registered ones. */
export function userAccessTokenClaims(user: RealmUser): Claims {
  return {
    ...roleClaims(user.realmRoles, user.clientRoles),
    ...(user.groups.length > 0 ? { groups: [...user.groups] } : {}),
    ...profileClaims(user),
  };
}

/** The claims Keycloak adds to a service account's access token (client_credentials). */
export function serviceAccountClaims(account: ServiceAccount, clientId: string): Claims {
  return {
    ...roleClaims(account.realmRoles, account.clientRoles),
    email_verified: false,
    preferred_username: account.username,
    client_id: clientId,
    clientHost: '127.0.0.1',
    clientAddress: '127.0.0.1',
  };
}

/** Registered claims of a Keycloak access token, in Keycloak's order. */
export interface AccessTokenBase {
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly iss: string;
  readonly aud: string | string[];
  readonly sub: string;
  readonly azp: string;
  readonly sid?: string;
  readonly scope: string;
}

/** A complete Keycloak-shaped access token payload. */
export function accessTokenPayload(base: AccessTokenBase, extra: Claims): Claims {
  const { exp, iat, jti, iss, aud, sub, azp, sid, scope } = base;
  return {
    exp, iat, jti, iss, aud, sub, typ: 'Bearer', azp,
    ...(sid === undefined ? {} : { sid }),
    acr: '1',
    ...extra,
    scope,
  };
}
