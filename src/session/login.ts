/** The authorization-code flow with PKCE S256, state and nonce (openid-client), and the session it creates. */
import type { StepUp } from '../policy/types.js';
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { AuthError, isAuthError } from '../errors.js';
import { isRecord } from '../identity/claims.js';
import { idpError } from '../identity/idp-errors.js';
import { serializeCookie, type CookieAttributes } from './cookies.js';
import { writeSession, type SessionDeps } from './session-cookie.js';
import { sessionFrom, type SessionData } from './session.js';
import type { SignInResult, Via } from './types.js';

/** A login in progress, sealed into a short-lived cookie scoped to the callback path. */
interface LoginTransaction {
  readonly s: string;
  readonly n: string;
  readonly v: string;
  /** Where to return after sign-in. */
  readonly r: string;
  /** The redirect_uri sent to Keycloak. */
  readonly u: string;
  readonly t: number;
}

const TX_TTL_SECONDS = 600;

function isTransaction(x: unknown): x is LoginTransaction {
  return isRecord(x) && ['s', 'n', 'v', 'r', 'u'].every((k) => typeof x[k] === 'string') && typeof x['t'] === 'number';
}

/** One cookie per login in progress (several tabs may sign in at once), named after a hash of its state. */
function txName(deps: SessionDeps, state: string): string {
  return `${deps.config.cookie.name}_login_${createHash('sha256').update(state).digest('base64url').slice(0, 10)}`;
}

function txAttributes(deps: SessionDeps, maxAge: number): CookieAttributes {
  return { domain: deps.config.cookie.domain, secure: deps.config.cookie.secure, path: '/_keygate/callback', maxAge };
}

function oidcConfig(deps: SessionDeps): oidc.Configuration {
  const c = deps.keycloak.oidc;
  if (c === undefined) throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: 'issuer discovery has not completed' });
  return c;
}

/** Starts a login: a redirect to Keycloak's authorization endpoint, setting the transaction cookie. */
export async function beginLogin(deps: SessionDeps, origin: string, returnUrl: string, method: string, via: Via, stepUp?: StepUp): Promise<SignInResult> {
  const conf = oidcConfig(deps);
  const redirectUri = `${deps.config.publicUrl ?? origin}/_keygate/callback`;
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(conf, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    // Step-up (issue 13 point 3): a sign-in no older than max_age (OIDC Core 3.1.2.1), at one of the acr values.
    ...(stepUp?.maxAge !== undefined ? { max_age: String(stepUp.maxAge) } : {}),
    ...(stepUp?.acr !== undefined ? { acr_values: stepUp.acr.join(' '), prompt: 'login' } : {}),
  });
  const tx: LoginTransaction = { s: state, n: nonce, v: verifier, r: returnUrl, u: redirectUri, t: deps.now() };
  const cookie = serializeCookie(txName(deps, state), await deps.logins.seal(tx), txAttributes(deps, TX_TTL_SECONDS));
  return { kind: 'redirect', location: url.href, method, via, cookies: [cookie] };
}

/** Completes a login at `/_keygate/callback`: checks state, nonce and PKCE, creates the session, returns to the original URL. */
export async function completeLogin(deps: SessionDeps, query: URLSearchParams, cookies: ReadonlyMap<string, string>, via: Via): Promise<SignInResult> {
  const state = query.get('state') ?? '';
  const name = txName(deps, state);
  const clearTx = serializeCookie(name, '', txAttributes(deps, 0));
  try {
    const raw = cookies.get(name);
    const tx = raw === undefined ? undefined : await deps.logins.open(raw);
    // No transaction for this state: wrong or forged state, a replayed callback, or an expired login.
    if (state === '' || !isTransaction(tx) || tx.s !== state) throw new AuthError('ERR_LOGIN_FAILED', { detail: 'no login in progress for this state' });
    if (deps.now() - tx.t > TX_TTL_SECONDS * 1000) throw new AuthError('ERR_LOGIN_FAILED', { detail: 'login transaction expired' });
    const idpError = query.get('error');
    if (idpError !== null) throw new AuthError('ERR_LOGIN_FAILED', { detail: `identity provider answered error=${idpError.slice(0, 64)}` });
    const session = await exchange(deps, tx, query);
    const cookiesOut = [clearTx, ...(await writeSession(deps, session, cookies))];
    deps.metrics.logins.labels('success').inc();
    deps.log.info('login', { user: session.u, sub: session.sub, sid: session.sid });
    return { kind: 'redirect', location: tx.r, method: 'GET', via: via === 'nginx' ? 'direct' : via, cookies: cookiesOut };
  } catch (err) {
    const e = isAuthError(err) ? err : new AuthError('ERR_LOGIN_FAILED', { detail: err instanceof Error ? err.message : String(err), cause: err });
    deps.metrics.logins.labels(e.code === 'ERR_IDP_UNAVAILABLE' ? 'error' : 'failure').inc();
    deps.log.warn('login failed', { error: e.code, detail: e.detail });
    return { kind: 'failed', error: e, cookies: [clearTx] };
  }
}

async function exchange(deps: SessionDeps, tx: LoginTransaction, query: URLSearchParams): Promise<SessionData> {
  const current = new URL(tx.u);
  current.search = query.toString();
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(oidcConfig(deps), current, { pkceCodeVerifier: tx.v, expectedState: tx.s, expectedNonce: tx.n, idTokenExpected: true });
  } catch (cause) {
    throw translateGrantError(cause, 'code exchange', deps.keycloak.oidc);
  }
  return sessionFromTokens(deps, tokens);
}

/** Builds a session from a token response; roles come only from the verified access token. */
export async function sessionFromTokens(deps: SessionDeps, tokens: oidc.TokenEndpointResponse, previous?: SessionData): Promise<SessionData> {
  const identity = await deps.keycloak.sessionVerifier.verify(tokens.access_token);
  const exp = decodeJwt(tokens.access_token).exp;
  const accessExp = typeof exp === 'number' ? exp * 1000 : deps.now() + (tokens.expires_in ?? 60) * 1000;
  return sessionFrom(identity, {
    accessExp,
    refreshToken: tokens.refresh_token,
    accessToken: deps.config.passAccessToken ? tokens.access_token : undefined,
    idToken: tokens.id_token,
  }, deps.now(), previous);
}

/**
 * openid-client errors of the token endpoint, translated by identity/idp-errors (the one boundary): an OAuth error
 * answer is a login failure; unreachable, timeout, 5xx, HTML or oversized answers are an unavailable IdP (503). The
 * detail names the call, the token endpoint, the cause and the status.
 */
export function translateGrantError(cause: unknown, call: 'code exchange' | 'refresh', conf: oidc.Configuration | undefined): AuthError {
  return idpError(cause, call, conf?.serverMetadata().token_endpoint);
}
