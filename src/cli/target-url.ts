/**
 * Builds a policy Target from an absolute URL, as `keygate explain` and `keygate test` receive requests. The URL is
 * turned into the request a client sends for it and read by the service's own parser (http/target.ts), so the CLI
 * decides exactly as the service does (issue 17 point 4).
 */
import { isTargetProblem, parseUrlTarget, type TargetProblem } from '../http/target.js';
import type { Target } from '../policy/types.js';

/** A target, a URL or method that is not usable at all, or a target the service would answer with 400. */
export type UrlTarget =
  | { readonly ok: true; readonly target: Target }
  | { readonly ok: false; readonly kind: 'invalid_url'; readonly detail: string }
  | { readonly ok: false; readonly kind: 'bad_request'; readonly part: TargetProblem['part']; readonly detail: string };

const HTTP_URL = /^https?:\/\//i;
const METHOD = /^[A-Za-z]+$/;

/** Parses `method` and absolute http(s) `url` into the Target the service would build for that request. */
export function targetFromUrl(method: string, url: string): UrlTarget {
  if (!METHOD.test(method)) return invalid(`method must be an HTTP method name, got ${JSON.stringify(method)}`);
  if (!HTTP_URL.test(url)) return invalid(`url must be an absolute http(s) URL, got ${JSON.stringify(url)}`);
  const t = parseUrlTarget(method, requestUrl(url));
  if (!isTargetProblem(t)) return { ok: true, target: t };
  return { ok: false, kind: 'bad_request', part: t.part, detail: t.detail };
}

/**
 * The URL as a proxy forwards a client's request for it: the fragment stays in the client, and an empty path is
 * sent as `/` (`http://h?x=1` is requested as `GET /?x=1`). Nothing else changes: the service sees the rest as is.
 */
export function requestUrl(url: string): string {
  const noFragment = url.replace(/#.*$/s, '');
  return noFragment.replace(/^(https?:\/\/[^/?]*)(?=\?|$)/i, '$1/');
}

function invalid(detail: string): UrlTarget {
  return { ok: false, kind: 'invalid_url', detail };
}
