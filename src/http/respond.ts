/**
 * The only place where decisions, errors and the session layer's results become status, headers and body, and
 * where an error gets its audit labels. Pure, but for writeAnswer, which writes one.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ERRORS, type AuthError } from '../errors.js';
import type { HeaderNames } from '../config/types.js';
import type { Identity } from '../identity/types.js';
import type { DecisionLabel } from '../metrics/metrics.js';
import type { DecisionReason, StepUp } from '../policy/types.js';
import type { BackchannelResult, SignInResult, Via } from '../session/types.js';
import { headerListValue, headerValue } from './header-values.js';

/** The header encodings, where answers are built (tests and upstream headers import them from here). */
export { headerListValue, headerValue };

/** An answer to write: status, headers, body. */
export interface Answer {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: string;
}

/** Whether the caller is a browser navigation (may be redirected to log in) or an API client (never redirected). */
export type RequestKind = 'browser' | 'api';

function one(h: IncomingHttpHeaders, name: string): string {
  const v = h[name];
  return typeof v === 'string' ? v : '';
}

/**
 * Browser navigation: `Sec-Fetch-Mode: navigate`, or `Accept` including text/html without `X-Requested-With`.
 * A request carrying `Authorization` is an API client, whatever it accepts.
 */
export function requestKind(h: IncomingHttpHeaders): RequestKind {
  if (h['authorization'] !== undefined) return 'api';
  const mode = one(h, 'sec-fetch-mode');
  if (mode !== '') return mode === 'navigate' ? 'browser' : 'api';
  if (h['x-requested-with'] !== undefined) return 'api';
  return one(h, 'accept').includes('text/html') ? 'browser' : 'api';
}

const NO_STORE = 'no-store';

/**
 * 200 with every identity header (empty ones too, so the proxy overwrites forged client copies).
 * `Content-Length: 0` rather than node's default chunked empty body: Caddy's forward_auth (Go) never reads the
 * body of a 2xx, so a chunked answer cannot be reused and each subrequest opened a new connection (issue #5:
 * 2,276 connections for 2,275 subrequests; with Content-Length: 0, 1,040 for 15,948).
 */
export function allowAnswer(names: HeaderNames, identity: Identity | undefined, accessToken?: string): Answer {
  const headers: OutgoingHttpHeaders = {
    'cache-control': NO_STORE,
    'content-length': '0',
    [names.user]: headerValue(identity?.username ?? ''),
    [names.email]: headerValue(identity?.email ?? ''),
    [names.subject]: headerValue(identity?.sub ?? ''),
    [names.name]: headerValue(identity?.name ?? ''),
    [names.roles]: headerListValue(identity?.roles ?? []),
    [names.groups]: headerListValue(identity?.groups ?? []),
  };
  if (accessToken !== undefined) headers['authorization'] = `Bearer ${accessToken}`;
  return { status: 200, headers, body: '' };
}

/** Allow answers of one handler: one per identity when no access token rides along (the caches share identities). */
export type AllowAnswers = (identity: Identity | undefined, accessToken: string | undefined) => Answer;

/** Builds the allow answers of one handler, each identity's once (a warm request allocates no headers). */
export function allowAnswers(names: HeaderNames): AllowAnswers {
  const byIdentity = new WeakMap<Identity, Answer>();
  const anonymous = allowAnswer(names, undefined);
  return (identity, accessToken) => {
    if (accessToken !== undefined) return allowAnswer(names, identity, accessToken);
    if (identity === undefined) return anonymous;
    let a = byIdentity.get(identity);
    if (a === undefined) {
      a = allowAnswer(names, identity);
      byIdentity.set(identity, a);
    }
    return a;
  };
}

function json(status: number, headers: OutgoingHttpHeaders, body: Record<string, string>): Answer {
  const text = JSON.stringify(body);
  return { status, headers: { 'cache-control': NO_STORE, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }, body: text };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const forbidden = new Map<string, Answer>();

/** What the browser 403 page tells the caller: who they are signed in as and what the refusing rule needs. */
export interface ForbiddenContext {
  /** The signed-in username (`preferred_username`); '' when the token has none. */
  readonly user: string;
  /** The rule's needs in one line (policy/needs.ts): built from the policy, never from the token. */
  readonly needs: string;
}

/**
 * 403 for a known identity the rule does not allow: JSON for APIs (the rule's name), HTML for browsers (with `who`:
 * the username, the rule and what it needs; issue 16 point 6). Never token contents; every value is HTML-escaped.
 */
export function forbiddenAnswer(rule: string, kind: RequestKind, who?: ForbiddenContext): Answer {
  if (kind === 'browser' && who !== undefined) return forbiddenPage(rule, who);
  // Rule names are few and fixed by the policy: build each answer once (bounded, for policies that churn names).
  const key = `${kind}\u0000${rule}`;
  let a = forbidden.get(key);
  if (a === undefined) {
    a = buildForbidden(rule, kind);
    if (forbidden.size >= 20_000) forbidden.clear();
    forbidden.set(key, a);
  }
  return a;
}

function buildForbidden(rule: string, kind: RequestKind): Answer {
  const message = `access denied by rule "${rule}"`;
  if (kind === 'browser') return forbiddenHtml(`<h1>403 Forbidden</h1><p>You are signed in, but ${escapeHtml(message)}.</p><p><a href="/_keygate/logout">Sign out</a></p>`);
  return json(403, {}, { error: ERRORS.ERR_POLICY_DENIED.oauthError, error_description: message, rule });
}

/** The browser 403 page with who is signed in, the refusing rule and its needs (built per request: it names the user). */
function forbiddenPage(rule: string, who: ForbiddenContext): Answer {
  const user = who.user === '' ? '<em>an account without a username</em>' : `<strong id="keygate-user">${escapeHtml(who.user)}</strong>`;
  return forbiddenHtml(`<h1>403 Forbidden</h1>`
    + `<p>You are signed in as ${user}, but the rule <code id="keygate-rule">${escapeHtml(rule)}</code> does not let you in.</p>`
    + `<p>It needs: <span id="keygate-needs">${escapeHtml(who.needs)}</span>.</p>`
    + `<p><a id="keygate-logout" href="/_keygate/logout">Sign out</a> to sign in as someone else.</p>`);
}

/** A 403 HTML page; the CSP is a second guard should an unescaped value ever slip in: no script, no style, no fetch. */
function forbiddenHtml(content: string): Answer {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>403 Forbidden</title></head><body>${content}</body></html>`;
  const headers = { 'cache-control': NO_STORE, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'", 'content-length': String(Buffer.byteLength(body)) };
  return { status: 403, headers, body };
}

/**
 * 401 for an API call that a new sign-in would let through (RFC 9470 §3): `insufficient_user_authentication` with the
 * acr values and max age to ask Keycloak for. Never for a browser navigation (the session layer asks Keycloak for a
 * fresh sign-in instead, or it gets a 403).
 */
export function stepUpAnswer(rule: string, stepUp: StepUp): Answer {
  const spec = ERRORS.ERR_STEP_UP_REQUIRED;
  const params = [`realm="keygate"`, `error="${spec.oauthError}"`, `error_description="${spec.message}"`];
  // acr values come from the policy; quotes and backslashes could break out of the quoted-string, so they are dropped.
  if (stepUp.acr !== undefined) params.push(`acr_values="${headerValue(stepUp.acr.join(' ').replace(/["\\]/g, ''))}"`);
  if (stepUp.maxAge !== undefined) params.push(`max_age=${stepUp.maxAge}`);
  return json(spec.status, { 'www-authenticate': `Bearer ${params.join(', ')}` }, { error: spec.oauthError, error_description: spec.message, rule });
}

/**
 * An AuthError as an answer. 401s carry `WWW-Authenticate: Bearer realm="keygate"` and, when a token was presented
 * and failed, `error="invalid_token"` (RFC 6750 §3).
 */
export function errorAnswer(err: AuthError, tokenPresented: boolean): Answer {
  const spec = ERRORS[err.code];
  const headers: OutgoingHttpHeaders = {};
  if (spec.status === 401) {
    headers['www-authenticate'] = tokenPresented && spec.oauthError === 'invalid_token'
      ? `Bearer realm="keygate", error="invalid_token", error_description="${spec.message}"`
      : 'Bearer realm="keygate"';
  }
  if (spec.status === 503) headers['retry-after'] = '5';
  return json(spec.status, headers, { error: spec.oauthError, error_description: spec.message });
}

/** The 401 for a missing identity never changes: built once. */
export const NO_CREDENTIALS: Answer = json(401, { 'www-authenticate': 'Bearer realm="keygate"' }, { error: ERRORS.ERR_NO_CREDENTIALS.oauthError, error_description: ERRORS.ERR_NO_CREDENTIALS.message });

/** The generic 500 for anything unexpected: never a 200. */
export function internalAnswer(): Answer {
  return json(500, {}, { error: 'server_error', error_description: ERRORS.ERR_INTERNAL.message });
}

/** The audit and metric labels of an error: its decision label (by status) and its reason. */
export function errorLabels(err: AuthError): { readonly decision: DecisionLabel; readonly reason: DecisionReason } {
  const status = err.status;
  return { decision: status === 400 ? 'bad_request' : status >= 500 ? 'error' : status === 401 ? 'unauthenticated' : 'deny', reason: reasonOf(err) };
}

function reasonOf(err: AuthError): DecisionReason {
  switch (err.code) {
    case 'ERR_TOKEN_EXPIRED': return 'expired_token';
    case 'ERR_TOKEN_INVALID': return 'invalid_token';
    case 'ERR_SESSION_EXPIRED': return 'session_expired';
    case 'ERR_NO_CREDENTIALS': return 'no_credentials';
    case 'ERR_BAD_TARGET': case 'ERR_BAD_REDIRECT': case 'ERR_LOGIN_FAILED': return 'bad_target';
    case 'ERR_UNTRUSTED_PEER': return 'untrusted_peer';
    case 'ERR_IDP_UNAVAILABLE': return 'idp_unavailable';
    default: return 'internal_error';
  }
}

/** 404 for a path keygate does not serve. */
export function notFoundAnswer(): Answer {
  return json(404, {}, { error: 'not_found', error_description: 'no such endpoint' });
}

/** A request body the parser refused (413 too large, 400 malformed, 415): the client's fault; the connection closes. */
export function bodyRefusedAnswer(status: number): Answer {
  return json(status, { connection: 'close' }, { error: 'invalid_request', error_description: status === 413 ? 'request body too large (limits.maxBodyBytes)' : 'malformed request body' });
}

/** A sign-in route's or a challenge's result (session/types.ts) as an answer. */
export function signInAnswer(r: SignInResult): Answer {
  switch (r.kind) {
    case 'redirect': return redirectAnswer(r.location, r.method, r.via, r.cookies);
    case 'signed-out': return { status: 200, headers: { 'content-type': 'text/plain', 'set-cookie': [...r.cookies], 'cache-control': NO_STORE }, body: 'signed out\n' };
    case 'failed': return signInErrorPage(r.error, r.cookies);
    case 'not-found': return notFoundAnswer();
  }
}

/** A redirect: 302 for GET/HEAD, 303 otherwise; on nginx's auth_request a 401 carrying the Location (nginx turns 3xx into 500). */
function redirectAnswer(location: string, method: string, via: Via, cookies: readonly string[]): Answer {
  const headers: OutgoingHttpHeaders = { location, 'cache-control': NO_STORE };
  if (cookies.length > 0) headers['set-cookie'] = [...cookies];
  if (via === 'nginx') return { status: 401, headers: { ...headers, 'www-authenticate': 'Bearer realm="keygate"' }, body: '' };
  return { status: method === 'GET' || method === 'HEAD' ? 302 : 303, headers, body: '' };
}

/** An HTML error page for a browser on a sign-in route; the private detail is never shown. */
function signInErrorPage(err: AuthError, cookies: readonly string[]): Answer {
  const spec = ERRORS[err.code];
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>${spec.status} ${escapeHtml(spec.message)}</title></head><body><h1>Sign-in problem</h1><p>${escapeHtml(spec.message)}.</p><p>Code: <code>${err.code}</code></p></body></html>`;
  const headers: OutgoingHttpHeaders = { 'content-type': 'text/html; charset=utf-8', 'cache-control': NO_STORE };
  if (cookies.length > 0) headers['set-cookie'] = [...cookies];
  return { status: spec.status, headers, body };
}

/**
 * A back-channel logout's answer (OpenID Connect Back-Channel Logout 1.0 §2.8): 200 when revoked, 400 for a bad
 * logout token; a 5xx (IdP unavailable, revocation store failing) so that Keycloak may retry.
 */
export function backchannelAnswer(r: BackchannelResult): Answer {
  if (r.kind === 'revoked') return { status: 200, headers: { 'cache-control': NO_STORE }, body: '' };
  const spec = ERRORS[r.error.code];
  const status = spec.status >= 500 ? spec.status : 400;
  const body = JSON.stringify({ error: status === 400 ? 'invalid_request' : spec.oauthError });
  return { status, headers: { 'content-type': 'application/json', 'cache-control': NO_STORE }, body };
}

/** `a` with `cookies` appended to its Set-Cookie (renewed or cleared session cookies); `a` itself when there are none. */
export function withCookies(a: Answer, cookies: readonly string[] | undefined): Answer {
  if (cookies === undefined || cookies.length === 0) return a;
  const prev = a.headers['set-cookie'];
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  return { ...a, headers: { ...a.headers, 'set-cookie': [...list, ...cookies] } };
}

/** Writes an answer; answers built here already carry their content-length. */
export function writeAnswer(res: ServerResponse, a: Answer): void {
  const body = a.body;
  const sized = body === '' || a.headers['content-length'] !== undefined;
  res.writeHead(a.status, sized ? a.headers : { ...a.headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
