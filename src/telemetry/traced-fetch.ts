/**
 * A fetch that records one client span per call to Keycloak (discovery, JWKS, token, introspection, …) and sends
 * the span's `traceparent`, so Keycloak's own traces (when it has them on) join the decision's trace. Span names
 * name the call, never its URL's query or any token; `server.address` names the IdP host.
 */
import { formatTraceparent } from './trace-context.js';
import type { Tracer } from './tracer.js';

/** Keycloak's endpoint paths (protocol/openid-connect/…) to a call name, tested longest first. */
const CALLS: readonly (readonly [string, string])[] = [
  ['/token/introspect', 'introspection'],
  ['/.well-known/openid-configuration', 'discovery'],
  ['/certs', 'jwks'],
  ['/token', 'token'],
  ['/revoke', 'revocation'],
  ['/logout', 'logout'],
  ['/userinfo', 'userinfo'],
];

/** What a call to `url` is, for the span name: jwks, token, introspection, discovery, … or other. */
export function idpCallName(url: URL): string {
  for (const [suffix, name] of CALLS) if (url.pathname.endsWith(suffix)) return name;
  return 'other';
}

function urlOf(input: string | URL | Request): URL | undefined {
  try {
    return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  } catch {
    return undefined;
  }
}

/** Wraps `inner` so each call is a client span of `tracer`, ended when the answer's headers arrive or the call fails. */
export function tracedFetch(inner: typeof fetch, tracer: Tracer): typeof fetch {
  return async (input, init = {}) => {
    const url = urlOf(input);
    const call = url === undefined ? 'other' : idpCallName(url);
    const span = tracer.startClient(`keygate idp ${call}`);
    span.set('keygate.idp.call', call);
    span.set('http.request.method', (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase());
    if (url !== undefined) {
      span.set('server.address', url.hostname);
      span.set('server.port', Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
    }
    if (init.body instanceof URLSearchParams) span.set('keygate.idp.grant_type', init.body.get('grant_type') ?? undefined);
    // A Request input keeps its own headers unless init replaces them: start from those.
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('traceparent', formatTraceparent(span.context));
    try {
      const res = await inner(input, { ...init, headers });
      span.set('http.response.status_code', res.status);
      if (res.status >= 500) {
        span.set('error.type', String(res.status));
        span.fail();
      }
      return res;
    } catch (err) {
      span.set('error.type', err instanceof Error ? err.name : 'Error');
      span.fail();
      throw err;
    } finally {
      span.end();
    }
  };
}
