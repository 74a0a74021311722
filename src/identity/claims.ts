/** Pure mapping from verified Keycloak claims to the Identity the policy sees. */
import type { ClaimValue, Identity } from './types.js';

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
    ...authContext(claims),
  };
  return identity;
}

/** The sign-in context and testable claims (issue 13): `azp`, `acr`, `amr`, `auth_time` and `claims`. */
export function authContext(claims: Readonly<Record<string, unknown>>): Pick<Identity, 'client' | 'acr' | 'amr' | 'authTime' | 'claims'> {
  const azp = claims['azp'];
  const acr = claims['acr'];
  const amr = claims['amr'];
  const authTime = claims['auth_time'];
  return {
    ...(typeof azp === 'string' && azp !== '' ? { client: azp } : {}),
    ...(typeof acr === 'string' && acr !== '' ? { acr } : {}),
    ...(Array.isArray(amr) ? { amr: stringArray(amr) } : {}),
    ...(typeof authTime === 'number' && Number.isFinite(authTime) ? { authTime } : {}),
    claims: simpleClaims(claims),
  };
}

/** Guard: a claim value the policy can test (string, boolean, or an array of strings only). */
export function isClaimValue(value: unknown): value is ClaimValue {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Claims that differ from token to token of one sign-in (or are kept elsewhere): never in `claims`, so that
 * equal identities stay equal and are shared by the verifier's cache.
 */
export const PER_TOKEN_CLAIMS: ReadonlySet<string> = new Set(['jti', 'iat', 'exp', 'nbf', 'nonce', 'at_hash', 'c_hash', 's_hash', 'session_state', 'sid', 'auth_time']);

/** The top-level claims that are ClaimValues; numbers, objects and mixed arrays are dropped (they never hold). */
export function simpleClaims(claims: Readonly<Record<string, unknown>>): Readonly<Record<string, ClaimValue>> {
  const out: Record<string, ClaimValue> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (PER_TOKEN_CLAIMS.has(name)) continue;
    // defineProperty: a claim named `__proto__` stays an ordinary own property.
    if (isClaimValue(value)) Object.defineProperty(out, name, { value, enumerable: true, writable: false });
  }
  return out;
}
