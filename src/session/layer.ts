/** The session layer as the hot path and express see it: identify, challenge, and the /_keygate/* routes. */
import type { IncomingMessage } from 'node:http';
import express, { type Request, type Router } from 'express';
import { AuthError, isAuthError } from '../errors.js';
import type { SessionIdentity, SessionLayer } from '../http/auth-handler.js';
import { writeAnswer } from '../http/auth-handler.js';
import { errorAnswer, type Answer } from '../http/respond.js';
import { originalUrl, type ProxyKind } from '../http/target.js';
import type { StepUp, Target } from '../policy/types.js';
import { parseCookies } from './cookies.js';
import { clearSession, type SessionDeps } from './deps.js';
import { beginLogin, completeLogin } from './login.js';
import { backchannelLogout, logout } from './logout.js';
import { errorPage, redirect, type Via } from './pages.js';
import { safeRedirect } from './redirects.js';
import { SessionReader } from './refresh.js';

/** What a sign-in route needs to know about its request, whichever way it arrived. */
interface FlowRequest {
  readonly origin: string;
  /** Whether `origin` came from a trusted proxy or publicUrl: then a redirect to its own host is always allowed. */
  readonly originTrusted: boolean;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly cookies: ReadonlyMap<string, string>;
  readonly method: string;
  readonly via: Via;
}

/** Builds the session layer for the hot path. */
export function createSessionLayer(deps: SessionDeps): SessionLayer {
  const reader = new SessionReader(deps);
  return {
    identify: (req: IncomingMessage): SessionIdentity | undefined | Promise<SessionIdentity | undefined> => reader.identify(req.headers.cookie),
    challenge: (_req, target: Target, proxy: ProxyKind, stepUp?: StepUp) => {
      const origin = `${target.scheme}://${target.authority}`;
      // nginx (auth-signin pattern): 401 + Location to /_keygate/start, which nginx routes to keygate directly,
      // so the login cookie is set on a normal answer and nginx never has to relay Set-Cookie from auth_request.
      if (proxy === 'nginx') return Promise.resolve(redirect(`${origin}/_keygate/start?rd=${encodeURIComponent(originalUrl(target))}`, target.method, 'nginx'));
      return beginLogin(deps, origin, originalUrl(target), target.method, proxy, stepUp);
    },
    forwarded: (req, target, proxy) => route(deps, {
      origin: `${target.scheme}://${target.authority}`,
      // The hot path read this target only after finding the peer in trustedProxies.
      originTrusted: true,
      path: target.path.slice('/_keygate'.length),
      query: new URLSearchParams(target.query),
      cookies: parseCookies(req.headers.cookie),
      method: target.method,
      via: proxy,
    }),
  };
}

/** Serves start, callback and logout; every failure is an error page, never a session. */
async function route(deps: SessionDeps, fr: FlowRequest): Promise<Answer> {
  try {
    switch (fr.path) {
      case '/start': return await start(deps, fr);
      case '/callback': return await completeLogin(deps, fr.query, fr.cookies, fr.via);
      case '/logout': return await logout(deps, fr.origin, fr.query, fr.cookies, fr.via, fr.originTrusted);
      default: return { status: 404, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: '{"error":"not_found","error_description":"no such endpoint"}' };
    }
  } catch (err) {
    const e = isAuthError(err) ? err : new AuthError('ERR_INTERNAL', { detail: err instanceof Error ? err.message : String(err), cause: err });
    deps.log.warn('sign-in route failed', { path: fr.path, error: e.code, detail: e.detail });
    // Logout never fails open: even its error page clears the session cookie.
    return errorPage(e, fr.path === '/logout' ? clearSession(deps, fr.cookies) : []);
  }
}

/** `/_keygate/start?rd=`: auth-host mode and nginx `auth-signin`. The target must be an allowed host. */
async function start(deps: SessionDeps, fr: FlowRequest): Promise<Answer> {
  const rd = safeRedirect(fr.query.get('rd') ?? '/', fr.origin, deps.redirects(), fr.originTrusted);
  if (rd === undefined) throw new AuthError('ERR_BAD_REDIRECT', { detail: 'rd is not an allowed host' });
  return beginLogin(deps, fr.origin, rd, 'GET', fr.via);
}

/**
 * The origin a direct request was made to: publicUrl, else trusted forwarded headers, else the Host header. It is
 * trusted (a redirect to its own host is allowed) unless it is a Host header sent by a peer outside trustedProxies.
 */
function directOrigin(deps: SessionDeps, req: Request, trusted: (ip: string) => boolean): { origin: string; trusted: boolean } {
  if (deps.config.publicUrl !== undefined) return { origin: deps.config.publicUrl, trusted: true };
  const h = req.headers;
  const peerTrusted = trusted(req.socket.remoteAddress ?? '');
  const fwdHost = typeof h['x-forwarded-host'] === 'string' ? h['x-forwarded-host'] : undefined;
  if (fwdHost !== undefined && peerTrusted) {
    const proto = h['x-forwarded-proto'] === 'https' ? 'https' : h['x-forwarded-proto'] === 'http' ? 'http' : deps.config.cookie.secure ? 'https' : 'http';
    return { origin: `${proto}://${fwdHost}`, trusted: true };
  }
  return { origin: `${deps.config.cookie.secure ? 'https' : 'http'}://${h.host ?? 'localhost'}`, trusted: peerTrusted };
}

/** Express routes under /_keygate for direct requests. */
export function createSessionRoutes(deps: SessionDeps, trusted: (ip: string) => boolean): Router {
  const router = express.Router();
  const flow = (path: string) => (req: Request, res: express.Response): void => {
    const { origin, trusted: originTrusted } = directOrigin(deps, req, trusted);
    const fr: FlowRequest = {
      origin,
      originTrusted,
      path,
      query: new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : ''),
      cookies: parseCookies(req.headers.cookie),
      method: req.method,
      via: 'direct',
    };
    route(deps, fr).then((a) => writeAnswer(res, a), () => writeAnswer(res, errorAnswer(new AuthError('ERR_INTERNAL'), false)));
  };
  router.get('/start', flow('/start'));
  router.get('/callback', flow('/callback'));
  router.get('/logout', flow('/logout'));
  router.post('/logout', flow('/logout'));
  router.post('/backchannel-logout', express.text({ type: 'application/x-www-form-urlencoded', limit: deps.config.limits.maxBodyBytes }), (req, res) => {
    const body = typeof req.body === 'string' ? req.body : '';
    backchannelLogout(deps, body).then((a) => writeAnswer(res, a), () => writeAnswer(res, errorAnswer(new AuthError('ERR_INTERNAL'), false)));
  });
  return router;
}
