/** Builds a policy Target from an absolute URL, as `keygate explain` and `keygate test` receive requests. */
import { normalizePath } from '../policy/normalize-path.js';
import type { Target } from '../policy/types.js';

/** A target, a URL that is not usable at all, or a path the service would answer with 400. */
export type UrlTarget =
  | { readonly ok: true; readonly target: Target }
  | { readonly ok: false; readonly kind: 'invalid_url'; readonly detail: string }
  | { readonly ok: false; readonly kind: 'bad_request'; readonly detail: string };

// Split by hand, not with WHATWG URL: it would resolve `..` and turn `\` into `/` before keygate sees them.
const URL_PARTS = /^(https?):\/\/([^/?#\\]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i;
const METHOD = /^[A-Za-z]+$/;

/** Parses `method` and absolute http(s) `url` into a Target (host lower-cased without port, path normalised). */
export function targetFromUrl(method: string, url: string): UrlTarget {
  if (!METHOD.test(method)) return invalid(`method must be an HTTP method name, got ${JSON.stringify(method)}`);
  const m = URL_PARTS.exec(url);
  const scheme = m?.[1]?.toLowerCase();
  const authority = m?.[2] ?? '';
  if (m === null || (scheme !== 'http' && scheme !== 'https')) return invalid(`url must be an absolute http(s) URL, got ${JSON.stringify(url)}`);
  const host = hostOf(authority);
  if (host === undefined) return invalid(`url must have a host name (no user info) and a numeric port if any, got ${JSON.stringify(url)}`);
  const rawPath = m[3] === undefined || m[3] === '' ? '/' : m[3];
  const query = m[4] ?? '';
  const normalized = normalizePath(rawPath);
  if (!normalized.ok) return { ok: false, kind: 'bad_request', detail: normalized.detail };
  return {
    ok: true,
    target: { method: method.toUpperCase(), scheme, host, authority, path: normalized.path, query, rawUri: query === '' ? rawPath : `${rawPath}?${query}` },
  };
}

function invalid(detail: string): UrlTarget {
  return { ok: false, kind: 'invalid_url', detail };
}

/** `Example.COM:8443` → `example.com`; `[::1]:80` → `[::1]`; undefined when malformed. */
function hostOf(authority: string): string | undefined {
  if (authority === '' || authority.includes('@')) return undefined;
  const v6 = /^(\[[0-9A-Fa-f:.]+\])(?::(\d*))?$/.exec(authority);
  if (v6 !== null) return v6[1]?.toLowerCase();
  const plain = /^([^:[\]]+)(?::(\d*))?$/.exec(authority);
  return plain?.[1]?.toLowerCase();
}
