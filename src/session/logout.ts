/** RP-initiated logout (ends the Keycloak session too) and OIDC back-channel logout (revokes on every replica). */
import * as oidc from 'openid-client';
import { jwtVerify } from 'jose';
import { AuthError, isAuthError } from '../errors.js';
import { isRecord } from '../identity/claims.js';
import { readChunked } from './cookies.js';
import { clearSession, type SessionDeps } from './session-cookie.js';
import { safeRedirect } from './redirects.js';
import { isSessionData, type SessionData } from './session.js';
import type { BackchannelResult, SignInResult, Via } from './types.js';

/** The back-channel logout event (OpenID Connect Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * `/_keygate/logout?rd=`: clears the session, revokes its sid, and sends the browser to Keycloak's end-session endpoint.
 * Logout never fails open (issue #12): a refused `rd`, an unreadable cookie or a failing revocation store still clear
 * the cookie and end the Keycloak session; a refused `rd` is dropped for the safe default, Keycloak's own signed-out
 * page (or keygate's when Keycloak has no end-session endpoint). A target on the host the request came to through a
 * trusted proxy (`originTrusted`) is always allowed.
 */
export async function logout(deps: SessionDeps, origin: string, query: URLSearchParams, cookies: ReadonlyMap<string, string>, via: Via, originTrusted = false): Promise<SignInResult> {
  const rdParam = query.get('rd') ?? undefined;
  const rd = safeRedirect(rdParam, origin, deps.redirects(), originTrusted);
  if (rdParam !== undefined && rd === undefined) deps.log.warn('logout rd refused; signing out to the default page', { error: 'ERR_BAD_REDIRECT', detail: 'logout rd is not an allowed host' });
  const cleared = clearSession(deps, cookies);
  const session = await openQuietly(deps, cookies);
  if (session?.sid !== undefined) {
    await deps.revocations.revoke('sid', session.sid, deps.now(), deps.config.cookie.maxAgeSeconds)
      .catch((err: unknown) => deps.log.error('logout could not store the revocation; the Keycloak session is still ended', { error: err instanceof Error ? err.message : String(err) }));
  }
  deps.metrics.logouts.labels('rp').inc();
  deps.log.info('logout', { user: session?.u, sub: session?.sub });
  const conf = deps.keycloak.oidc;
  const signedOut: SignInResult = { kind: 'signed-out', cookies: cleared };
  const redirect = (location: string): SignInResult => ({ kind: 'redirect', location, method: 'GET', via, cookies: cleared });
  if (conf === undefined || conf.serverMetadata().end_session_endpoint === undefined) return rd === undefined ? signedOut : redirect(rd);
  const params: Record<string, string> = session?.idt !== undefined ? { id_token_hint: session.idt } : { client_id: deps.config.clientId };
  if (rd !== undefined) params['post_logout_redirect_uri'] = rd;
  try {
    return redirect(oidc.buildEndSessionUrl(conf, params).href);
  } catch (err) {
    deps.log.error('logout could not build the end-session URL; the cookie is cleared', { error: err instanceof Error ? err.message : String(err) });
    return signedOut;
  }
}

/** The session in the request's cookie, or undefined when there is none or it cannot be opened (logout goes on). */
async function openQuietly(deps: SessionDeps, cookies: ReadonlyMap<string, string>): Promise<SessionData | undefined> {
  const raw = readChunked(cookies, deps.config.cookie.name);
  if (raw === undefined) return undefined;
  const data = await deps.sessions.open(raw).catch(() => undefined);
  return isSessionData(data) ? data : undefined;
}

/** `/_keygate/backchannel-logout`: verifies Keycloak's logout token and revokes its sid (or sub) everywhere. */
export async function backchannelLogout(deps: SessionDeps, body: string): Promise<BackchannelResult> {
  try {
    const token = new URLSearchParams(body).get('logout_token');
    if (token === null || token === '') throw new AuthError('ERR_TOKEN_INVALID', { detail: 'no logout_token' });
    const claims = await verifyLogoutToken(deps, token);
    const now = deps.now();
    const ttl = deps.config.cookie.maxAgeSeconds;
    const sid = typeof claims['sid'] === 'string' ? claims['sid'] : undefined;
    const sub = typeof claims['sub'] === 'string' ? claims['sub'] : undefined;
    if (sid !== undefined) await deps.revocations.revoke('sid', sid, now, ttl);
    else if (sub !== undefined) await deps.revocations.revoke('sub', sub, now, ttl);
    deps.keycloak.verifier.forget((id) => (sid !== undefined && id.sid === sid) || (sid === undefined && id.sub === sub));
    deps.metrics.logouts.labels('backchannel').inc();
    deps.log.info('back-channel logout', { sid, sub });
    return { kind: 'revoked' };
  } catch (err) {
    // A bad token is refused (400, spec §2.8); a revocation store that failed is a 5xx, so Keycloak may retry.
    const e = isAuthError(err) ? err : new AuthError('ERR_INTERNAL', { detail: err instanceof Error ? err.message : String(err), cause: err });
    deps.log.warn('back-channel logout refused', { error: e.code, detail: e.detail });
    return { kind: 'refused', error: e };
  }
}

/** Checks a logout token: signature, iss, aud, iat, events, sid or sub, no nonce, and typ when present. */
async function verifyLogoutToken(deps: SessionDeps, token: string): Promise<Record<string, unknown>> {
  const jwks = deps.keycloak.jwks;
  if (jwks === undefined) throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: 'issuer discovery has not completed' });
  let payload: Record<string, unknown>;
  let typ: string | undefined;
  try {
    const r = await jwtVerify(token, (h) => jwks.resolve(h), {
      issuer: deps.config.issuer,
      audience: deps.config.clientId,
      algorithms: [...deps.config.algorithms],
      clockTolerance: deps.config.clockToleranceSeconds,
      currentDate: new Date(deps.now()),
      requiredClaims: ['iat', 'jti'],
      maxTokenAge: '10 minutes',
    });
    payload = r.payload as Record<string, unknown>;
    typ = r.protectedHeader.typ;
  } catch (cause) {
    if (isAuthError(cause)) throw cause;
    throw new AuthError('ERR_TOKEN_INVALID', { detail: `logout token: ${cause instanceof Error ? cause.message : String(cause)}`, cause });
  }
  const bad = (detail: string): never => { throw new AuthError('ERR_TOKEN_INVALID', { detail: `logout token: ${detail}` }); };
  if (typ !== undefined && typ !== 'logout+jwt' && typ !== 'JWT') bad(`typ header ${typ}`);
  if (payload['typ'] !== undefined && payload['typ'] !== 'Logout') bad('typ claim is not Logout');
  if (!isRecord(payload['events']) || !isRecord(payload['events'][BACKCHANNEL_EVENT])) bad('events lacks the back-channel logout event');
  if ('nonce' in payload) bad('a logout token must not carry a nonce');
  if (typeof payload['sid'] !== 'string' && typeof payload['sub'] !== 'string') bad('neither sid nor sub');
  return payload;
}
