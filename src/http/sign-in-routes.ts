/** The express routes under /_keygate for direct requests (auth-host mode): the session layer's data, answered by http/respond. */
import express, { type Request, type Router } from 'express';
import type { Config } from '../config/types.js';
import { AuthError } from '../errors.js';
import type { SessionLayer, SignInRequest } from '../session/types.js';
import { backchannelAnswer, errorAnswer, signInAnswer, writeAnswer } from './respond.js';

/**
 * The origin a direct request was made to: publicUrl, else trusted forwarded headers, else the Host header. It is
 * trusted (a redirect to its own host is allowed) unless it is a Host header sent by a peer outside trustedProxies.
 */
function directOrigin(config: Config, req: Request, trusted: (ip: string) => boolean): { origin: string; trusted: boolean } {
  if (config.publicUrl !== undefined) return { origin: config.publicUrl, trusted: true };
  const h = req.headers;
  const peerTrusted = trusted(req.socket.remoteAddress ?? '');
  const fwdHost = typeof h['x-forwarded-host'] === 'string' ? h['x-forwarded-host'] : undefined;
  if (fwdHost !== undefined && peerTrusted) {
    const proto = h['x-forwarded-proto'] === 'https' ? 'https' : h['x-forwarded-proto'] === 'http' ? 'http' : config.cookie.secure ? 'https' : 'http';
    return { origin: `${proto}://${fwdHost}`, trusted: true };
  }
  return { origin: `${config.cookie.secure ? 'https' : 'http'}://${h.host ?? 'localhost'}`, trusted: peerTrusted };
}

/** Express routes under /_keygate for direct requests: start, callback, logout and the back-channel logout. */
export function createSignInRoutes(sessions: SessionLayer, config: Config, trusted: (ip: string) => boolean): Router {
  const router = express.Router();
  const internal = (res: express.Response) => (): void => writeAnswer(res, errorAnswer(new AuthError('ERR_INTERNAL'), false));
  const flow = (path: string) => (req: Request, res: express.Response): void => {
    const { origin, trusted: originTrusted } = directOrigin(config, req, trusted);
    const request: SignInRequest = {
      origin,
      originTrusted,
      path,
      query: new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : ''),
      cookieHeader: req.headers.cookie,
      method: req.method,
      via: 'direct',
    };
    sessions.route(request).then((r) => writeAnswer(res, signInAnswer(r)), internal(res));
  };
  router.get('/start', flow('/start'));
  router.get('/callback', flow('/callback'));
  router.get('/logout', flow('/logout'));
  router.post('/logout', flow('/logout'));
  router.post('/backchannel-logout', express.text({ type: 'application/x-www-form-urlencoded', limit: config.limits.maxBodyBytes }), (req, res) => {
    const body = typeof req.body === 'string' ? req.body : '';
    sessions.backchannel(body).then((r) => writeAnswer(res, backchannelAnswer(r)), internal(res));
  });
  return router;
}
