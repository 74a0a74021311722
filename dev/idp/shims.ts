/**
 * Token introspection (RFC 7662) and userinfo for JWT access tokens. oidc-provider refuses both for
 * JWT access tokens; Keycloak answers both, so the look-alike verifies its own JWTs here.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';

import { profileClaims } from './claims.js';
import { bearerToken, presentedClient, readForm, sendJson } from './http-util.js';
import type { LookalikeState } from './provider.js';

/** Verifies a token signed by this look-alike (signature, `iss`, `exp`, `nbf`) and not of an ended session. */
async function verifyOwnToken(state: LookalikeState, token: string): Promise<JWTPayload | undefined> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(state.keys.publicSigningJwks()), {
      issuer: state.issuer,
      algorithms: ['RS256'],
    });
    // Keycloak checks that the token's user session is still alive.
    if (typeof payload.sid === 'string' && state.endedSids.has(payload.sid)) return undefined;
    return payload;
  } catch {
    return undefined;
  }
}

/** POST `/protocol/openid-connect/token/introspect`: client auth (basic or post), then `{active, ...claims}`. */
export async function handleIntrospection(req: IncomingMessage, res: ServerResponse, state: LookalikeState): Promise<void> {
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: 'invalid_request', error_description: 'HTTP method not allowed' }, { allow: 'POST' });
    return;
  }
  const form = await readForm(req);
  const presented = presentedClient(req, form);
  if (presented === undefined || state.realm.authenticateClient(presented.clientId, presented.secret) === undefined) {
    sendJson(res, 401, { error: 'invalid_client', error_description: 'Authentication failed.' }, {
      'www-authenticate': `Basic realm="${state.realm.name}"`,
    });
    return;
  }
  const token = form.get('token');
  if (token === null || token === '') {
    sendJson(res, 400, { error: 'invalid_request', error_description: 'Token not provided.' });
    return;
  }
  const payload = await verifyOwnToken(state, token);
  // Keycloak 26.6.2+ (CVE-2026-37979) answers `active: false` unless the introspecting client is in the token's aud.
  const aud = payload?.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (payload === undefined || !audiences.includes(presented.clientId)) {
    sendJson(res, 200, { active: false });
    return;
  }
  sendJson(res, 200, {
    ...payload,
    ...(typeof payload.azp === 'string' ? { client_id: payload.azp } : {}),
    ...(typeof payload.preferred_username === 'string' ? { username: payload.preferred_username } : {}),
    token_type: 'Bearer',
    active: true,
  });
}

function invalidToken(res: ServerResponse, state: LookalikeState, error: string, description: string): void {
  sendJson(res, 401, { error, error_description: description }, {
    'www-authenticate': `Bearer realm="${state.realm.name}", error="${error}", error_description="${description}"`,
  });
}

/** GET or POST `/protocol/openid-connect/userinfo` with a bearer access token: the user's current claims. */
export async function handleUserinfo(req: IncomingMessage, res: ServerResponse, state: LookalikeState): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') {
    sendJson(res, 405, { error: 'invalid_request', error_description: 'HTTP method not allowed' }, { allow: 'GET, POST' });
    return;
  }
  const form = await readForm(req);
  const token = bearerToken(req, form);
  if (token === undefined) {
    invalidToken(res, state, 'invalid_request', 'Token not provided');
    return;
  }
  const payload = await verifyOwnToken(state, token);
  if (payload === undefined || payload.typ !== 'Bearer' || typeof payload.sub !== 'string') {
    invalidToken(res, state, 'invalid_token', 'Token verification failed');
    return;
  }
  const sub = payload.sub;
  const user = state.realm.findUserById(sub);
  if (user !== undefined) {
    sendJson(res, 200, { sub, ...profileClaims(user), ...(user.groups.length > 0 ? { groups: [...user.groups] } : {}) });
    return;
  }
  const account = state.realm.clients.find((client) => client.serviceAccount?.id === sub)?.serviceAccount;
  if (account === undefined) {
    invalidToken(res, state, 'invalid_token', 'User not found');
    return;
  }
  sendJson(res, 200, { sub, email_verified: false, preferred_username: account.username });
}
