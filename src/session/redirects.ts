/**
 * Redirect-target safety (no open redirects): `rd`, stored return URLs and post-logout targets may only go to
 * protected hosts or hosts inside cookieDomain. Pure.
 */

/** Hosts a redirect may go to. */
export interface RedirectPolicy {
  /** Exact hosts (lower-case) and `*.suffix` patterns: the policy's hosts plus `redirectHosts`. */
  readonly hosts: readonly string[];
  /** Cookie domain, e.g. `.example.com`: any host inside it is allowed. */
  readonly cookieDomain: string | undefined;
}

/** Checks `host` against the policy's hosts, wildcards and cookie domain. */
export function hostAllowed(host: string, p: RedirectPolicy): boolean {
  const h = host.toLowerCase();
  for (const pattern of p.hosts) {
    if (pattern.startsWith('*.')) {
      if (h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1) return true;
    } else if (h === pattern) return true;
  }
  if (p.cookieDomain !== undefined) {
    const d = p.cookieDomain.replace(/^\./, '').toLowerCase();
    if (h === d || h.endsWith(`.${d}`)) return true;
  }
  return false;
}

/**
 * Resolves a redirect target: an absolute http(s) URL to an allowed host, or a path starting with a single `/`
 * (resolved against `origin`, the host the request came to, which must be allowed as well). Returns undefined for anything else, including
 * `//evil.example`, `/\evil.example`, backslashes, control characters and userinfo.
 * With `originTrusted` (the origin was named by a trusted proxy or by publicUrl, never by an untrusted client), a
 * target on the very host and port of `origin` is always allowed, even when the policy names no hosts (issue #12).
 */
export function safeRedirect(target: string | undefined, origin: string, p: RedirectPolicy, originTrusted = false): string | undefined {
  if (target === undefined || target === '' || target.length > 4096) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\\\x00-\x1f\x7f\s]/.test(target)) return undefined;
  if (target.startsWith('//')) return undefined;
  let url: URL;
  try {
    // A path is resolved against the origin the request came to; that host must be allowed too.
    url = target.startsWith('/') ? new URL(target, origin) : new URL(target);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return undefined;
  if (originTrusted && url.host === hostOfOrigin(origin)) return url.href;
  return hostAllowed(url.hostname, p) ? url.href : undefined;
}

/** `host[:port]` of an origin, as URL normalises it (lower case, default port dropped); undefined when unparsable. */
function hostOfOrigin(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
