/**
 * RP-initiated logout when the browser has no live IdP session. oidc-provider answers it with an
 * auto-submitting form; Keycloak redirects at once, so the look-alike validates and redirects itself.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

import { compactVerify, createLocalJWKSet } from 'jose';

import { readForm, sendHtml } from './http-util.js';
import { errorPage, loggedOutPage } from './pages.js';
import type { LookalikeState } from './provider.js';
import type { RealmClient } from './realm.js';

/** The session cookie's name (see the provider's cookie configuration). */
export const SESSION_COOKIE = 'KEYCLOAK_SESSION';

/** True when the request's session cookie names a session with a signed-in user. */
export function hasLiveSession(req: IncomingMessage, state: LookalikeState): boolean {
  const cookies = (req.headers.cookie ?? '').split(';').map((part) => part.trim());
  const value = cookies.find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`))?.slice(SESSION_COOKIE.length + 1);
  if (value === undefined || value === '') return false;
  return typeof state.store.get('Session', value)?.accountId === 'string';
}

/** The client an id_token_hint was issued to, if it is one of ours (expired hints are fine, as in Keycloak). */
async function hintClient(state: LookalikeState, hint: string): Promise<string | undefined> {
  try {
    const { payload } = await compactVerify(hint, createLocalJWKSet(state.keys.publicSigningJwks()));
    const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
    if (typeof claims !== 'object' || claims === null || Reflect.get(claims, 'iss') !== state.issuer) return undefined;
    const aud: unknown = Reflect.get(claims, 'aud');
    const first: unknown = Array.isArray(aud) ? aud[0] : aud;
    return typeof first === 'string' ? first : undefined;
  } catch {
    return undefined;
  }
}

type Resolved = { readonly client: RealmClient | undefined } | { readonly error: string };

async function resolveClient(state: LookalikeState, params: URLSearchParams): Promise<Resolved> {
  const hint = params.get('id_token_hint');
  const clientIdParam = params.get('client_id');
  let clientId = clientIdParam ?? undefined;
  if (hint !== null) {
    const fromHint = await hintClient(state, hint);
    if (fromHint === undefined) return { error: 'Invalid parameter: id_token_hint' };
    if (clientIdParam !== null && clientIdParam !== fromHint) return { error: 'Parameter client_id different than the client from id_token_hint' };
    clientId = fromHint;
  }
  if (clientId === undefined) return { client: undefined };
  const client = state.realm.findClient(clientId);
  return client === undefined ? { error: 'Client not found' } : { client };
}

/** Answers an RP-initiated logout without a session: 303 to a registered post_logout_redirect_uri, or the logged-out page. */
export async function handleSessionlessLogout(req: IncomingMessage, res: ServerResponse, state: LookalikeState): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://lookalike.invalid').searchParams;
  const params = req.method === 'POST' ? await readForm(req) : query;
  const resolved = await resolveClient(state, params);
  if ('error' in resolved) {
    sendHtml(res, 400, errorPage(state.realm.name, resolved.error));
    return;
  }
  const target = params.get('post_logout_redirect_uri');
  if (target === null || resolved.client === undefined) {
    sendHtml(res, 200, loggedOutPage(state.realm.name));
    return;
  }
  if (!resolved.client.postLogoutRedirectAllowed(target)) {
    sendHtml(res, 400, errorPage(state.realm.name, 'Invalid redirect uri'));
    return;
  }
  const location = new URL(target);
  const stateParam = params.get('state');
  if (stateParam !== null) location.searchParams.set('state', stateParam);
  res.writeHead(303, { location: location.href, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}
