/** Signs tokens directly with the look-alike's key (or a test's key), for tests of verification edge cases. */

import { randomUUID } from 'node:crypto';

import { CompactSign, base64url } from 'jose';

import { accessTokenPayload, audienceClaim, userAccessTokenClaims, type Claims } from './claims.js';
import type { KeyRing } from './keys.js';
import type { Realm } from './realm.js';
import type { ClaimOverrides, LogoutTokenClaims, MintOptions } from './types.js';

/** The OIDC back-channel logout event (OpenID Connect Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What minting needs from the look-alike. */
export interface MintContext {
  readonly issuer: string;
  readonly realm: Realm;
  readonly keys: KeyRing;
  readonly accessTokenTtlSeconds: number;
  readonly audience: readonly string[];
}

function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Applies overrides: a value replaces the claim, `undefined` removes it. */
function applyOverrides(payload: Claims, overrides: ClaimOverrides): Claims {
  const out: Claims = { ...payload };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}

/** Signs payload under the header that options describe. */
export async function signToken(
  context: MintContext, payload: Claims, defaultTyp: string, options: MintOptions = {},
): Promise<string> {
  const alg = options.alg ?? 'RS256';
  const ownKey = options.key === undefined;
  const header: Record<string, string> = { alg };
  const typ = options.typ === undefined ? defaultTyp : options.typ;
  if (typ !== null) header.typ = typ;
  const kid = options.kid === undefined ? (ownKey ? context.keys.current.kid : undefined) : options.kid;
  if (kid !== null && kid !== undefined) header.kid = kid;

  if (alg === 'none') {
    // An unsecured JWS (RFC 7515 Appendix A.5): for tests that must see it refused.
    const encode = (value: unknown): string => base64url.encode(JSON.stringify(value));
    return `${encode(header)}.${encode(payload)}.`;
  }
  const key = options.key ?? context.keys.currentKeyObject();
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ ...header, alg })
    .sign(key);
}

/** A Keycloak-shaped access token, valid for the configured TTL, with overrides applied. */
export async function mintAccessToken(
  context: MintContext, overrides: ClaimOverrides = {}, options: MintOptions = {},
): Promise<string> {
  const now = epochSeconds();
  const user = options.user === undefined ? undefined : context.realm.getUser(options.user);
  const base = accessTokenPayload({
    exp: now + context.accessTokenTtlSeconds,
    iat: now,
    jti: randomUUID(),
    iss: context.issuer,
    aud: audienceClaim(context.audience),
    sub: user?.id ?? randomUUID(),
    azp: context.realm.clients[0]?.clientId ?? 'account',
    scope: 'openid profile email',
  }, user === undefined ? {} : userAccessTokenClaims(user));
  return signToken(context, applyOverrides(base, overrides), 'JWT', options);
}

/** A valid back-channel logout token: `typ: logout+jwt`, the logout event, `jti`, `iat`, no `nonce`. */
export async function mintLogoutToken(
  context: MintContext, claims: LogoutTokenClaims, options: MintOptions = {},
): Promise<string> {
  const now = epochSeconds();
  const { aud, ...rest } = claims;
  const base: Claims = {
    iat: now,
    exp: now + 120,
    jti: randomUUID(),
    iss: context.issuer,
    aud: typeof aud === 'string' ? aud : [...aud],
    typ: 'Logout',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  };
  return signToken(context, applyOverrides(base, rest), 'logout+jwt', options);
}
