/** The session layer as the hot path and the sign-in routes see it: identify, challenge, the /_keygate/* routes. */
import { AuthError, isAuthError } from '../errors.js';
import { parseCookies } from './cookies.js';
import { clearSession, type SessionDeps } from './session-cookie.js';
import { beginLogin, completeLogin } from './login.js';
import { backchannelLogout, logout } from './logout.js';
import { safeRedirect } from './redirects.js';
import { SessionReader } from './reader.js';
import type { SessionLayer, SignInRequest, SignInResult } from './types.js';

/** Builds the session layer: it returns data (identity, cookies, redirects, failures); http/respond answers. */
export function createSessionLayer(deps: SessionDeps): SessionLayer {
  const reader = new SessionReader(deps);
  return {
    identify: (cookieHeader) => reader.identify(cookieHeader),
    challenge: (start) => {
      // nginx (auth-signin pattern): 401 + Location to /_keygate/start, which nginx routes to keygate directly,
      // so the login cookie is set on a normal answer and nginx never has to relay Set-Cookie from auth_request.
      if (start.via === 'nginx') return Promise.resolve({ kind: 'redirect', location: `${start.origin}/_keygate/start?rd=${encodeURIComponent(start.returnUrl)}`, method: start.method, via: 'nginx', cookies: [] });
      return beginLogin(deps, start.origin, start.returnUrl, start.method, start.via, start.stepUp);
    },
    route: (request) => route(deps, request),
    backchannel: (body) => backchannelLogout(deps, body),
  };
}

/** Serves start, callback and logout; every failure is a `failed` result, never a session. */
async function route(deps: SessionDeps, fr: SignInRequest): Promise<SignInResult> {
  const cookies = parseCookies(fr.cookieHeader);
  try {
    switch (fr.path) {
      case '/start': return await start(deps, fr);
      case '/callback': return await completeLogin(deps, fr.query, cookies, fr.via);
      case '/logout': return await logout(deps, fr.origin, fr.query, cookies, fr.via, fr.originTrusted);
      default: return { kind: 'not-found' };
    }
  } catch (err) {
    const e = isAuthError(err) ? err : new AuthError('ERR_INTERNAL', { detail: err instanceof Error ? err.message : String(err), cause: err });
    deps.log.warn('sign-in route failed', { path: fr.path, error: e.code, detail: e.detail });
    // Logout never fails open: even its error page clears the session cookie.
    return { kind: 'failed', error: e, cookies: fr.path === '/logout' ? clearSession(deps, cookies) : [] };
  }
}

/** `/_keygate/start?rd=`: auth-host mode and nginx `auth-signin`. The target must be an allowed host. */
async function start(deps: SessionDeps, fr: SignInRequest): Promise<SignInResult> {
  const rd = safeRedirect(fr.query.get('rd') ?? '/', fr.origin, deps.redirects(), fr.originTrusted);
  if (rd === undefined) throw new AuthError('ERR_BAD_REDIRECT', { detail: 'rd is not an allowed host' });
  return beginLogin(deps, fr.origin, rd, 'GET', fr.via);
}
