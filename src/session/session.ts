/** The session's shape and its lifetime rules. Pure: the clock is passed in. */
import type { Identity } from '../identity/types.js';
import { isRecord, stringArray } from '../identity/claims.js';

/**
 * The identity fields a session seals, each under a short key (a cookie is at most ~4 KB a chunk): the key on the
 * right holds the Identity field on the left, read from the verified access token at sign-in and at each refresh.
 */
export const SEALED_IDENTITY_KEYS = {
  /** `u`: the username (`preferred_username`). */
  username: 'u',
  /** `e`: the email. */
  email: 'e',
  /** `n`: the display name. */
  name: 'n',
  /** `r`: roles (realm `role`, client `client:role`). */
  roles: 'r',
  /** `g`: group paths `/a/b`. */
  groups: 'g',
  /** `sc`: scopes. */
  scopes: 'sc',
} as const;

type SealedIdentity = { readonly [K in keyof typeof SEALED_IDENTITY_KEYS as (typeof SEALED_IDENTITY_KEYS)[K]]: Identity[K] };

/** What a session cookie carries, sealed: the identity under short keys (SEALED_IDENTITY_KEYS), and the session's own state. */
export interface SessionData extends SealedIdentity {
  /** Version of this shape; a cookie of another version does not open. */
  readonly v: 1;
  /** `sub`: the Keycloak user id. */
  readonly sub: string;
  /** Keycloak session id: back-channel logout revokes by it. */
  readonly sid?: string;
  /** Created (epoch ms): the absolute lifetime counts from here. */
  readonly iat: number;
  /** Last seen (epoch ms): the idle timeout counts from here. */
  readonly seen: number;
  /** Access token expiry (epoch ms): after it, the session refreshes and re-reads roles. */
  readonly exp: number;
  /** Refresh token. */
  readonly rt?: string;
  /** Access token, only kept with passAccessToken. */
  readonly at?: string;
  /** ID token, kept for RP-initiated logout (`id_token_hint`). */
  readonly idt?: string;
  /** Sign-in context of the access token (issue 13, policy `clients`): `azp`, the client it was issued to. */
  readonly az?: string;
  /** `acr` of the sign-in (policy `acr`). */
  readonly acr?: string;
  /** `amr` of the sign-in (policy `amr`). */
  readonly amr?: readonly string[];
  /** `auth_time` of the sign-in, epoch seconds (policy `maxAuthAge`, step-up). */
  readonly atm?: number;
}

/** Lifetime limits in ms. */
export interface SessionLimits {
  readonly maxAgeMs: number;
  readonly idleMs: number;
}

/** Where a session stands at `now`. */
export type SessionStatus = 'valid' | 'refresh' | 'expired' | 'idle';

const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';

/** Guard: a value opened from a cookie really is a SessionData (never cast). */
export function isSessionData(x: unknown): x is SessionData {
  if (!isRecord(x) || x['v'] !== 1) return false;
  for (const k of ['sub', 'u', 'e', 'n']) if (typeof x[k] !== 'string') return false;
  for (const k of ['r', 'g', 'sc']) if (!Array.isArray(x[k]) || stringArray(x[k]).length !== (x[k] as unknown[]).length) return false;
  for (const k of ['iat', 'seen', 'exp']) if (typeof x[k] !== 'number' || !Number.isFinite(x[k])) return false;
  if (!optStr(x['az']) || !optStr(x['acr'])) return false;
  if (x['amr'] !== undefined && (!Array.isArray(x['amr']) || stringArray(x['amr']).length !== x['amr'].length)) return false;
  if (x['atm'] !== undefined && (typeof x['atm'] !== 'number' || !Number.isFinite(x['atm']))) return false;
  return optStr(x['sid']) && optStr(x['rt']) && optStr(x['at']) && optStr(x['idt']) && x['sub'] !== '';
}

/** Expired beyond the absolute lifetime or the idle timeout, due for a refresh, or valid. */
export function sessionStatus(s: SessionData, now: number, limits: SessionLimits): SessionStatus {
  if (now >= s.iat + limits.maxAgeMs || now < s.iat - 60_000) return 'expired';
  if (now >= s.seen + limits.idleMs) return 'idle';
  if (now >= s.exp) return 'refresh';
  return 'valid';
}

/** Whether `seen` is old enough to rewrite the cookie (at most once a minute, or a tenth of the idle timeout). */
export function needsTouch(s: SessionData, now: number, limits: SessionLimits): boolean {
  return now - s.seen >= Math.min(60_000, limits.idleMs / 10);
}

/** The identity a session stands for. */
export function identityOf(s: SessionData): Identity {
  return {
    sub: s.sub, username: s.u, email: s.e, name: s.n, roles: s.r, groups: s.g, scopes: s.sc, via: 'session',
    ...(s.sid !== undefined ? { sid: s.sid } : {}),
    ...(s.az !== undefined ? { client: s.az } : {}),
    ...(s.acr !== undefined ? { acr: s.acr } : {}),
    ...(s.amr !== undefined ? { amr: s.amr } : {}),
    ...(s.atm !== undefined ? { authTime: s.atm } : {}),
  };
}

/** Tokens from a code exchange or refresh. */
export interface SessionTokens {
  readonly accessExp: number;
  readonly refreshToken?: string | undefined;
  readonly accessToken?: string | undefined;
  readonly idToken?: string | undefined;
}

/** Builds a session from a verified identity and tokens; a refresh keeps the creation time and unrotated tokens. */
export function sessionFrom(id: Identity, t: SessionTokens, now: number, previous?: SessionData): SessionData {
  const rt = t.refreshToken ?? previous?.rt;
  const idt = t.idToken ?? previous?.idt;
  const sid = id.sid ?? previous?.sid;
  return {
    v: 1, sub: id.sub, u: id.username, e: id.email, n: id.name, r: id.roles, g: id.groups, sc: id.scopes,
    ...(sid !== undefined ? { sid } : {}),
    // Only the small sign-in context rides in the cookie; `claims` conditions and claim headers hold for bearer tokens.
    ...(id.client !== undefined ? { az: id.client } : {}),
    ...(id.acr !== undefined ? { acr: id.acr } : {}),
    ...(id.amr !== undefined ? { amr: id.amr } : {}),
    ...(id.authTime !== undefined ? { atm: id.authTime } : {}),
    iat: previous?.iat ?? now, seen: now, exp: t.accessExp,
    ...(rt !== undefined ? { rt } : {}),
    ...(t.accessToken !== undefined ? { at: t.accessToken } : {}),
    ...(idt !== undefined ? { idt } : {}),
  };
}
