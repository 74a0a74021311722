/** RP-initiated logout (ends the Keycloak session too) and OIDC back-channel logout (revokes on every replica). */
import * as oidc from 'openid-client';
import { jwtVerify } from 'jose';
import { AuthError, isAuthError } from '../errors.js';
import { isRecord } from '../identity/claims.js';
import type { Answer } from '../http/respond.js';
import { readChunked } from './cookies.js';
import { clearSession, type SessionDeps } from './deps.js';
import { errorPage, redirect, type Via } from './pages.js';
import { safeRedirect } from './redirects.js';
import { isSessionData } from './session.js';

/** The back-channel logout event (OpenID Connect Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** `/_keygate/logout?rd=`: clears the session, revokes its sid, and sends the browser to Keycloak's end-session endpoint. */
export async function logout(deps: SessionDeps, origin: string, query: URLSearchParams, cookies: ReadonlyMap<string, string>, via: Via): Promise<Answer> {
  const rdParam = query.get('rd') ?? undefined;
  const rd = safeRedirect(rdParam, origin, deps.redirects());
  if (rdParam !== undefined && rd === undefined) return errorPage(new AuthError('ERR_BAD_REDIRECT', { detail: 'logout rd is not an allowed host' }));
  const raw = readChunked(cookies, deps.config.cookie.name);
  const data = raw === undefined ? undefined : await deps.sessions.open(raw);
  const session = isSessionData(data) ? data : undefined;
  const cleared = clearSession(deps, cookies);
  if (session?.sid !== undefined) await deps.revocations.revoke('sid', session.sid, deps.now(), deps.config.cookie.maxAgeSeconds).catch(() => undefined);
  deps.metrics.logouts.labels('rp').inc();
  deps.log.info('logout', { user: session?.u, sub: session?.sub });
  const conf = deps.keycloak.oidc;
  if (conf === undefined || conf.serverMetadata().end_session_endpoint === undefined) {
    return rd === undefined ? { status: 200, headers: { 'content-type': 'text/plain', 'set-cookie': cleared, 'cache-control': 'no-store' }, body: 'signed out\n' } : redirect(rd, 'GET', via, cleared);
  }
  const params: Record<string, string> = session?.idt !== undefined ? { id_token_hint: session.idt } : { client_id: deps.config.clientId };
  if (rd !== undefined) params['post_logout_redirect_uri'] = rd;
  return redirect(oidc.buildEndSessionUrl(conf, params).href, 'GET', via, cleared);
}

/** `/_keygate/backchannel-logout`: verifies Keycloak's logout token and revokes its sid (or sub) everywhere. */
export async function backchannelLogout(deps: SessionDeps, body: string): Promise<Answer> {
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
    return { status: 200, headers: { 'cache-control': 'no-store' }, body: '' };
  } catch (err) {
    const e = isAuthError(err) ? err : new AuthError('ERR_IDP_UNAVAILABLE', { detail: err instanceof Error ? err.message : String(err), cause: err });
    deps.log.warn('back-channel logout refused', { error: e.code, detail: e.detail });
    // 400 for a bad token (spec §2.8); 503 when the revocation could not be stored, so Keycloak retries.
    const status = e.code === 'ERR_IDP_UNAVAILABLE' ? 503 : 400;
    return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify({ error: status === 400 ? 'invalid_request' : 'temporarily_unavailable' }) };
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
