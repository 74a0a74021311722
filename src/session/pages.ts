/** Answers of the sign-in routes: redirects (never 3xx on nginx's auth_request) and short HTML pages. */
import type { OutgoingHttpHeaders } from 'node:http';
import { ERRORS, type AuthError } from '../errors.js';
import type { Answer } from '../http/respond.js';

/** Who asked: a forward-auth subrequest from a proxy kind, or a direct request to keygate. */
export type Via = 'traefik' | 'nginx' | 'direct';

/** A redirect: 302 for GET/HEAD, 303 otherwise; on nginx's auth_request a 401 carrying the Location (nginx turns 3xx into 500). */
export function redirect(location: string, method: string, via: Via, cookies: readonly string[] = []): Answer {
  const headers: OutgoingHttpHeaders = { location, 'cache-control': 'no-store' };
  if (cookies.length > 0) headers['set-cookie'] = [...cookies];
  if (via === 'nginx') return { status: 401, headers: { ...headers, 'www-authenticate': 'Bearer realm="keygate"' }, body: '' };
  return { status: method === 'GET' || method === 'HEAD' ? 302 : 303, headers, body: '' };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An HTML error page for a browser on a sign-in route; the private detail is never shown. */
export function errorPage(err: AuthError, cookies: readonly string[] = []): Answer {
  const spec = ERRORS[err.code];
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>${spec.status} ${escapeHtml(spec.message)}</title></head><body><h1>Sign-in problem</h1><p>${escapeHtml(spec.message)}.</p><p>Code: <code>${err.code}</code></p></body></html>`;
  const headers: OutgoingHttpHeaders = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
  if (cookies.length > 0) headers['set-cookie'] = [...cookies];
  return { status: spec.status, headers, body };
}
