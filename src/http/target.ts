/**
 * Proxy adapters: each turns a forward-auth subrequest's headers into a Target, or a bad-request error.
 * They do nothing else. Headers are read only after the peer was found in trustedProxies.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AuthError } from '../errors.js';
import { normalizePath } from '../policy/normalize-path.js';
import type { Target } from '../policy/types.js';

/** Which adapter read the subrequest. */
export type ProxyKind = 'traefik' | 'nginx';

const METHOD = /^[A-Za-z]{1,24}$/;
// reg-name or IPv4 (letters, digits, '-', '.', '_'), or a bracketed IPv6 literal; optional port.
const AUTHORITY = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;
// A request-target in origin form: visible ASCII only (a space also means two joined header copies).
const ORIGIN_FORM = /^\/[\x21-\x7e]*$/;
// Only splits: the authority and the URI are checked by parseTarget, so a bad one is named as such.
const ABSOLUTE_URL = /^(https?):\/\/([^/?#]*)(.*)$/is;

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? undefined : v;
}

/** Why a target is refused: the part at fault and a detail for the log (never sent). */
export interface TargetProblem {
  readonly part: 'method' | 'scheme' | 'host' | 'uri' | 'path' | 'url';
  readonly detail: string;
}

/**
 * Parses method, scheme, authority and origin-form URI into a Target, or says which part is refused.
 * The one parser of targets: the adapters below and `keygate explain` / `keygate test` all go through it.
 */
export function parseTarget(method: string | undefined, scheme: string | undefined, authority: string | undefined, uri: string | undefined): Target | TargetProblem {
  if (method === undefined || !METHOD.test(method)) return { part: 'method', detail: `method missing or malformed: ${JSON.stringify(method ?? null)}` };
  const proto = scheme?.toLowerCase();
  if (proto !== 'http' && proto !== 'https') return { part: 'scheme', detail: `scheme must be http or https, got ${JSON.stringify(scheme ?? null)}` };
  if (authority === undefined || !AUTHORITY.test(authority)) return { part: 'host', detail: `host missing or malformed: ${JSON.stringify(authority ?? null)}` };
  if (uri === undefined || !ORIGIN_FORM.test(uri)) return { part: 'uri', detail: 'request URI missing, not in origin form, or has characters outside visible ASCII' };
  const q = uri.indexOf('?');
  const rawPath = q === -1 ? uri : uri.slice(0, q);
  const norm = normalizePath(rawPath);
  if (!norm.ok) return { part: 'path', detail: norm.detail };
  return {
    method: method.toUpperCase(),
    scheme: proto,
    host: hostOf(authority),
    authority,
    path: norm.path,
    query: q === -1 ? '' : uri.slice(q + 1),
    rawUri: uri,
  };
}

/** Parses an absolute http(s) URL as nginx forwards it in X-Original-URL (a missing path is `/`). */
export function parseUrlTarget(method: string | undefined, url: string | undefined): Target | TargetProblem {
  const m = url === undefined ? null : ABSOLUTE_URL.exec(url);
  if (m === null) return { part: 'url', detail: 'URL missing or not an absolute http(s) URL' };
  return parseTarget(method, m[1], m[2], m[3] === '' ? '/' : m[3]);
}

/** Whether `t` is a refusal rather than a Target. */
export function isTargetProblem(t: Target | TargetProblem): t is TargetProblem {
  return 'part' in t;
}

function orBad(t: Target | TargetProblem): Target {
  if (isTargetProblem(t)) throw new AuthError('ERR_BAD_TARGET', { detail: t.detail });
  return t;
}

/** Builds the Target from method, scheme, authority and origin-form URI; ERR_BAD_TARGET when any part is refused. */
export function buildTarget(method: string | undefined, scheme: string | undefined, authority: string | undefined, uri: string | undefined): Target {
  return orBad(parseTarget(method, scheme, authority, uri));
}

/** Lower-case host without port (IPv6 literals keep their brackets). */
export function hostOf(authority: string): string {
  const lower = authority.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  const host = colon === -1 ? lower : lower.slice(0, colon);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** Traefik forwardAuth and Caddy forward_auth: X-Forwarded-Method/Proto/Host/Uri. */
export function traefikTarget(headers: IncomingHttpHeaders): Target {
  return buildTarget(one(headers, 'x-forwarded-method'), one(headers, 'x-forwarded-proto'), one(headers, 'x-forwarded-host'), one(headers, 'x-forwarded-uri'));
}

/** nginx auth_request and ingress-nginx auth-url: X-Original-URL and X-Original-Method; X-Forwarded-Uri is ignored. */
export function nginxTarget(headers: IncomingHttpHeaders): Target {
  return orBad(parseUrlTarget(one(headers, 'x-original-method'), one(headers, 'x-original-url')));
}

/** The original URL the client asked for, rebuilt from the Target (for return-after-login). */
export function originalUrl(t: Target): string {
  return `${t.scheme}://${t.authority}${t.rawUri}`;
}
