/** Pure mapping from verified Keycloak claims to the Identity the policy sees. */
import type { Identity } from './types.js';

/** Guard: a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The strings of `value` when it is an array; other members are dropped. */
export function stringArray(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const v of value) if (typeof v === 'string' && v !== '') out.push(v);
  return out;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Realm roles as `role` and client roles as `client:role` (Keycloak `realm_access` / `resource_access`). */
export function keycloakRoles(claims: Readonly<Record<string, unknown>>): string[] {
  const roles = new Set<string>();
  const realm = claims['realm_access'];
  if (isRecord(realm)) for (const r of stringArray(realm['roles'])) roles.add(r);
  const resource = claims['resource_access'];
  if (isRecord(resource)) {
    for (const [client, access] of Object.entries(resource)) {
      if (isRecord(access)) for (const r of stringArray(access['roles'])) roles.add(`${client}:${r}`);
    }
  }
  return [...roles];
}

/**
 * Builds the Identity from claims that were already verified (signature, iss, exp, typ, aud/azp).
 * Returns undefined when `sub` is missing: an identity without a subject is no identity.
 */
export function identityFromClaims(claims: Readonly<Record<string, unknown>>, via: Identity['via']): Identity | undefined {
  const sub = claims['sub'];
  if (typeof sub !== 'string' || sub === '') return undefined;
  const scope = claims['scope'];
  const sid = claims['sid'];
  const identity: Identity = {
    sub,
    username: str(claims['preferred_username']),
    email: str(claims['email']),
    name: str(claims['name']),
    roles: keycloakRoles(claims),
    groups: stringArray(claims['groups']),
    scopes: typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : [],
    via,
    ...(typeof sid === 'string' && sid !== '' ? { sid } : {}),
  };
  return identity;
}
