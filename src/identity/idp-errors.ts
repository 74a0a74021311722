/**
 * The one place where errors of calls to Keycloak (openid-client, undici's fetch, the bounded fetch) become keygate's
 * (issue #12 point 5): each names the call, the URL, the cause (ECONNREFUSED, DNS, TLS, timeout, size), the HTTP
 * status, and for an issuer mismatch both values. The lower-layer error is kept as `cause`. Never a token or secret.
 */
import * as oidc from 'openid-client';
import { AuthError } from '../errors.js';
import { isFetchBoundError } from '../util/bounded-fetch.js';
import { isRecord } from './claims.js';

/** Which call to Keycloak failed (the first words of the detail). */
export type IdpCall = 'discovery' | 'code exchange' | 'refresh' | 'introspection' | 'client credentials';

/**
 * Codes of openid-client errors that say Keycloak could not be used (no answer, a non-OAuth status, not JSON), not
 * that it refused. OAUTH_INVALID_RESPONSE stays a refusal: it also covers a callback without a code or with a
 * repeated parameter, which is the browser's request, not Keycloak's fault.
 */
const UNAVAILABLE_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_PARSE_ERROR']);

/** `<call> <url>: <what went wrong>`, e.g. `discovery http://kc/realms/a/.well-known/openid-configuration: connection refused (ECONNREFUSED)`. */
export function describeIdpError(err: unknown, call: IdpCall, url: string | undefined): string {
  const where = url === undefined ? call : `${call} ${stripQuery(url)}`;
  return `${where}: ${reason(err)}`;
}

/**
 * The AuthError for a failed call to Keycloak: ERR_LOGIN_FAILED when Keycloak answered with an OAuth error (a refused
 * grant: invalid_grant, a nonce or state mismatch), ERR_IDP_UNAVAILABLE for everything else (unreachable, timeout, 5xx,
 * HTML, oversized or unparsable answers). An AuthError passes through.
 */
export function idpError(err: unknown, call: IdpCall, url: string | undefined): AuthError {
  if (err instanceof AuthError) return err;
  const detail = describeIdpError(err, call, url);
  return new AuthError(refused(err) ? 'ERR_LOGIN_FAILED' : 'ERR_IDP_UNAVAILABLE', { detail, cause: err });
}

/** True when Keycloak answered and refused (an OAuth error body below 500, or a failed check of a good answer). */
function refused(err: unknown): boolean {
  if (err instanceof oidc.ResponseBodyError) return err.status < 500;
  if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string') return false;
  if (!err.code.startsWith('OAUTH_') || UNAVAILABLE_CODES.has(err.code)) return false;
  // A check of an answer (state, nonce, iss of the ID token …) failed; the transport did not.
  return chain(err).every((e) => !isFetchBoundError(e) && systemCode(e) === undefined);
}

/** What went wrong, from the most specific error in the cause chain. */
function reason(err: unknown): string {
  const errors = chain(err);
  const bound = errors.find(isFetchBoundError);
  if (bound !== undefined) return bound.kind === 'timeout' ? `timeout: ${bound.message}` : `${bound.message}${statusOf(errors)}`;
  const mismatch = issuerMismatch(errors);
  if (mismatch !== undefined) return mismatch;
  for (const e of errors) {
    const code = systemCode(e);
    if (code !== undefined) return describeSystem(code, e);
  }
  if (errors.some((e) => e instanceof Error && (e.name === 'TimeoutError' || (e as { code?: unknown }).code === 'OAUTH_TIMEOUT'))) return 'timeout: no answer in time';
  const bodyError = errors.find((e): e is oidc.ResponseBodyError => e instanceof oidc.ResponseBodyError);
  if (bodyError !== undefined) return `HTTP ${bodyError.status} error=${JSON.stringify(bodyError.error.slice(0, 64))}`;
  const res = errors.find((e): e is Response => e instanceof Response);
  if (res !== undefined) return responseReason(res, errors);
  if (errors.some((e) => e instanceof SyntaxError || (e as { code?: unknown } | undefined)?.code === 'OAUTH_PARSE_ERROR')) return 'the answer is not valid JSON';
  return errors.filter((e): e is Error => e instanceof Error).map((e) => e.message).join(': ') || String(err);
}

/** An HTTP answer that openid-client refused: its status, and its content type when it is not JSON. */
function responseReason(res: Response, errors: readonly unknown[]): string {
  const type = res.headers.get('content-type') ?? 'none';
  const notJson = errors.some((e) => (e as { code?: unknown } | undefined)?.code === 'OAUTH_RESPONSE_IS_NOT_JSON');
  if (notJson || (res.ok && !/json/i.test(type))) return `HTTP ${res.status} with content-type ${JSON.stringify(type.slice(0, 64))}, not JSON`;
  return `HTTP ${res.status}${res.ok ? ' with an unusable body' : ''}`;
}

/** `, HTTP <status>` when an error in the chain carries one. */
function statusOf(errors: readonly unknown[]): string {
  const res = errors.find((e): e is Response => e instanceof Response);
  return res === undefined ? '' : ` (HTTP ${res.status})`;
}

/** Both issuers of a discovery document whose `issuer` differs from the configured one (oauth4webapi's cause). */
function issuerMismatch(errors: readonly unknown[]): string | undefined {
  for (const e of errors) {
    if (!isRecord(e) || e['attribute'] !== 'issuer' || !isRecord(e['body'])) continue;
    const got = e['body']['issuer'];
    return `issuer does not match: the discovery document says ${JSON.stringify(String(got))}, keygate is configured with ${JSON.stringify(String(e['expected']))} (issuer / $KEYGATE_ISSUER must be exactly the realm's issuer)`;
  }
  return undefined;
}

/** The errors of a cause chain, outermost first (at most 8 deep); non-Error causes (a Response, a record) included. */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && out.length < 8 && !out.includes(cur)) {
    out.push(cur);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}

/** A node or undici error code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, UND_ERR_SOCKET …), or undefined. */
function systemCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || code.startsWith('OAUTH_') || code.startsWith('ERR_JOSE') || code === 'ERR_INVALID_ARG_TYPE') return undefined;
  return code;
}

/** Words for the usual transport failures; anything else is named by its code and message. */
function describeSystem(code: string, e: unknown): string {
  const msg = e instanceof Error ? e.message : '';
  const host = isRecord(e) && typeof e['hostname'] === 'string' ? ` of ${e['hostname']}` : '';
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS lookup${host} failed (${code})`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection closed by the other side (${code})`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return `timeout: connecting took too long (${code})`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `timeout: ${msg} (${code})`;
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/i.test(code)) return `TLS error (${code}: ${msg})`;
  return `${code}: ${msg}`;
}

function stripQuery(url: string): string {
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}
