/** The only place where decisions and errors become status, headers and body. Pure. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { ERRORS, type AuthError } from '../errors.js';
import type { HeaderNames } from '../config/types.js';
import type { Identity } from '../identity/types.js';
import type { StepUp } from '../policy/types.js';

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

/** Header-safe value: printable ASCII kept; anything else (non-ASCII, control characters) percent-encoded as UTF-8. */
export function headerValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(value) ? value : value.replace(/[^\x20-\x7e]+/g, (s) => encodeURIComponent(s));
}

/**
 * A list header value (roles, groups): items joined with `,`, each item percent-encoded (UTF-8) so that no item can
 * contain the separator (issue #12): `%`, `,`, a leading or trailing space, and every character outside printable
 * ASCII become `%XX`; everything else is kept. A reader splits on `,`, then percent-decodes each item: a role named
 * `a,prefect-admin` arrives as `a%2Cprefect-admin`, never as two roles.
 */
export function headerListValue(items: readonly string[]): string {
  let out = '';
  for (let i = 0; i < items.length; i++) out += (i === 0 ? '' : ',') + listItem(items[i] ?? '');
  return out;
}

function listItem(item: string): string {
  // The common case (a plain Keycloak role or group path) is returned as is.
  // eslint-disable-next-line no-control-regex
  if (/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(item) && !/[%,]/.test(item)) return item;
  let out = '';
  for (let i = 0; i < item.length; i++) {
    const ch = item[i] ?? '';
    const code = ch.charCodeAt(0);
    const edgeSpace = code === 0x20 && (i === 0 || i === item.length - 1);
    if (ch === '%' || ch === ',' || edgeSpace || code < 0x20 || code === 0x7f) out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code > 0x7e) {
      // A whole code point (surrogate pairs stay together); a lone surrogate becomes U+FFFD, as TextEncoder does.
      const cp = item.codePointAt(i) ?? 0xfffd;
      if (cp > 0xffff) i++;
      out += encodeURIComponent(String.fromCodePoint(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp));
    } else out += ch;
  }
  return out;
}

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
  return json(403, {}, { error: 'access_denied', error_description: message, rule });
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

/** The generic 500 for anything unexpected: never a 200. */
export function internalAnswer(): Answer {
  return json(500, {}, { error: 'server_error', error_description: ERRORS.ERR_INTERNAL.message });
}
