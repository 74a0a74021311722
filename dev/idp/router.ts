/** Keycloak's URL layout: the look-alike's own endpoints first, everything else to oidc-provider. */

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Provider } from 'oidc-provider';

import { sendJson } from './http-util.js';
import { handleLoginActions } from './login.js';
import { LOGIN_ACTIONS_PATH, ROUTES, type LookalikeState } from './provider.js';
import { handleSessionlessLogout, hasLiveSession } from './sessionless-logout.js';
import { handleIntrospection, handleUserinfo } from './shims.js';

/** A node:http request handler. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The provider that currently answers, with its node:http callback (both replaced on key rotation). */
export interface ProviderHandle {
  readonly provider: Provider;
  readonly callback: Handler;
}

/** Wraps a provider for routing. */
export function providerHandle(provider: Provider): ProviderHandle {
  const callback = provider.callback();
  return { provider, callback: (req, res) => { void callback(req, res); } };
}

/** Routes requests under `/realms/<realm>`; anything else is 404, as an unknown Keycloak realm. */
export function makeRouter(state: LookalikeState, current: () => ProviderHandle): Handler {
  const prefix = new URL(state.issuer).pathname;
  return (req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (path !== prefix && !path.startsWith(`${prefix}/`)) {
      sendJson(res, 404, { error: 'Realm does not exist' });
      return;
    }
    const rest = url.slice(prefix.length) || '/';
    const restPath = rest.split('?')[0];
    const { provider, callback } = current();
    let work: Promise<void> = Promise.resolve();
    // The JWKS is ours: oidc-provider would refuse to hold the unused `enc` key that Keycloak publishes.
    if (restPath === ROUTES.jwks) sendJson(res, 200, state.keys.publicJwks());
    else if (restPath === ROUTES.introspection) work = handleIntrospection(req, res, state);
    else if (restPath === ROUTES.userinfo) work = handleUserinfo(req, res, state);
    else if (restPath === ROUTES.end_session && !hasLiveSession(req, state)) work = handleSessionlessLogout(req, res, state);
    else if (restPath === LOGIN_ACTIONS_PATH) work = handleLoginActions(req, res, provider, state.realm);
    else {
      // Mounted under a path: oidc-provider derives its mount path from originalUrl versus url.
      Object.assign(req, { originalUrl: url });
      req.url = rest;
      callback(req, res);
    }
    work.catch((error: unknown) => {
      // A bug in the look-alike itself; oidc-provider answers its own errors.
      console.error('keycloak look-alike: unexpected error', error);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
  };
}
