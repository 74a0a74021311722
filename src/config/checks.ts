/** Pure checks on single values: URLs, host names, cookie and header tokens, JWS algorithms. Each returns a reason or undefined. */
import { describe } from '../util/problems.js';
import { parseCidr } from './cidr.js';
import { suggest } from './suggest.js';

/** JWS algorithms keygate accepts for bearer tokens (asymmetric only). */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** Header names the identity headers must not take: keygate or the proxy already give them a meaning. */
const RESERVED_HEADERS = ['authorization', 'cookie', 'set-cookie', 'host', 'location', 'www-authenticate', 'content-length', 'content-type', 'transfer-encoding', 'connection'];

/** RFC 9110 §5.6.2 token: the syntax of header names and (RFC 6265 §4.1.1) cookie names. */
export function isToken(text: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(text);
}

/** A DNS host name (letters, digits, `-`, and `_` as container names use it), at most 253 characters. */
export function isHostname(text: string): boolean {
  if (text.length > 253) return false;
  return text.split('.').every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
}

/** A bare IPv4 or IPv6 address (no prefix). */
export function isIpAddress(text: string): boolean {
  return !text.includes('/') && parseCidr(text).ok;
}

/** Why `text` is not a usable issuer URL, or undefined. http only when `allowInsecure`. */
export function issuerProblem(text: string, allowInsecure: boolean): string | undefined {
  const url = parseUrl(text);
  if (url !== undefined && (url.username !== '' || url.password !== '')) return CREDENTIALS;
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return `must be an absolute https URL such as https://keycloak.example.com/realms/acme, got ${describe(text)}`;
  }
  if (url.protocol === 'http:' && !allowInsecure) {
    return `must use https, got ${describe(text)} (allowInsecureIssuer: true or $KEYGATE_ALLOW_INSECURE_ISSUER=true permits http for local development only)`;
  }
  return urlPartsProblem(url, text);
}

/**
 * Why a valid issuer does not look like a Keycloak realm issuer (`…/realms/<name>`, Keycloak 17+ or `/auth/realms/<name>`
 * before), or undefined. A warning, not an error: the discovery URL and every `iss` are derived from it, so
 * `https://keycloak.example.com` alone fails discovery with a 404 (issue #12 point 5).
 */
export function keycloakIssuerProblem(text: string): string | undefined {
  const url = parseUrl(text);
  if (url === undefined || /\/realms\/[^/]+$/.test(url.pathname)) return undefined;
  return `does not end in /realms/<realm name>, as a Keycloak realm issuer does (e.g. ${url.origin}/realms/acme); discovery reads ${text.replace(/\/+$/, '')}/.well-known/openid-configuration, and tokens' iss must equal it exactly`;
}

/** Why `text` is not an absolute http(s) base URL, or undefined. */
export function httpUrlProblem(text: string): string | undefined {
  const url = parseUrl(text);
  if (url !== undefined && (url.username !== '' || url.password !== '')) return CREDENTIALS;
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return `must be an absolute http(s) URL such as https://auth.example.com, got ${describe(text)}`;
  }
  return urlPartsProblem(url, text);
}

/** Why `text` is not a redis:// or rediss:// URL, or undefined. Never echoes the URL: it may hold a password. */
export function redisUrlProblem(text: string): string | undefined {
  const url = parseUrl(text);
  if (url === undefined) return 'must be a redis:// or rediss:// URL, and this is not a valid URL (value not shown: it may contain a password)';
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return `must be a redis:// or rediss:// URL, got scheme ${describe(url.protocol)}`;
  return undefined;
}

/** Why `text` is not a host for redirect checks (`host`, `*.host` or an IP address), or undefined. */
export function redirectHostProblem(text: string): string | undefined {
  const name = text.startsWith('*.') ? text.slice(2) : text;
  if (isHostname(name) || (name === text && isIpAddress(text))) return undefined;
  return `must be a host name such as app.example.com or *.example.com (no scheme, port or path), got ${describe(text)}`;
}

/** Why `text` is not a cookie Domain value, or undefined. */
export function cookieDomainProblem(text: string): string | undefined {
  const name = text.startsWith('.') ? text.slice(1) : text;
  if (isHostname(name) && !isIpAddress(name)) return undefined;
  return `must be a domain name such as example.com or .example.com, got ${describe(text)}`;
}

/** Why `name` cannot be the session cookie's name with these attributes, or undefined (RFC 6265bis cookie prefixes). */
export function cookieNameProblem(name: string, secure: boolean, domain: string | undefined): string | undefined {
  if (!isToken(name)) return `must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~), got ${describe(name)}`;
  if (name.startsWith('__Host-') && (!secure || domain !== undefined)) return 'starts with __Host-, which browsers accept only with cookie.secure true and no cookie.domain';
  if (name.startsWith('__Secure-') && !secure) return 'starts with __Secure-, which browsers accept only with cookie.secure true';
  return undefined;
}

/** Why `name` cannot be an identity header name, or undefined. */
export function headerNameProblem(name: string): string | undefined {
  if (!isToken(name)) return `must be an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~), got ${describe(name)}`;
  if (RESERVED_HEADERS.includes(name.toLowerCase())) return `must not be ${describe(name)}: that header already has a meaning for the proxy or keygate`;
  return undefined;
}

/** Why `alg` is not an accepted JWS algorithm, or undefined. Explains why `none` and HS* are never allowed. */
export function algorithmProblem(alg: string): string | undefined {
  if ((ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) return undefined;
  if (alg.toLowerCase() === 'none') return '"none" is never accepted: it means an unsigned token, which anyone can forge';
  if (/^HS(256|384|512)$/i.test(alg)) {
    return `${describe(alg)} is never accepted: HMAC keys are shared secrets, so anyone holding the key (e.g. the client secret) could mint tokens; use an asymmetric algorithm such as RS256`;
  }
  const hint = suggest(alg, ALLOWED_ALGORITHMS);
  const tail = hint === undefined ? '' : `; did you mean "${hint}"?`;
  return `must be one of ${ALLOWED_ALGORITHMS.join(', ')}, got ${describe(alg)}${tail}`;
}

/** Parses an absolute URL, or undefined. */
function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** The message for a URL with user:password@ (the value is not echoed: it holds a password). */
const CREDENTIALS = 'must not contain credentials (user:password@); value not shown';

/** Query and fragment have no place in a base URL. */
function urlPartsProblem(url: URL, text: string): string | undefined {
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) return `must not have a query or fragment, got ${describe(text)}`;
  return undefined;
}
