/** The error catalog: every stable error code keygate can answer with, and its public face. */

/** Every error code keygate uses. Each appears in the error table of docs/error-codes.md. */
export type ErrorCode =
  | 'ERR_NO_CREDENTIALS'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_SESSION_EXPIRED'
  | 'ERR_POLICY_DENIED'
  | 'ERR_STEP_UP_REQUIRED'
  | 'ERR_BAD_TARGET'
  | 'ERR_BAD_REDIRECT'
  | 'ERR_LOGIN_FAILED'
  | 'ERR_UNTRUSTED_PEER'
  | 'ERR_IDP_UNAVAILABLE'
  | 'ERR_CONFIG_INVALID'
  | 'ERR_POLICY_INVALID'
  | 'ERR_INTERNAL';

/** Status, OAuth error (for WWW-Authenticate / JSON `error`) and public message for one code. */
export interface ErrorSpec {
  readonly status: number;
  readonly oauthError: string;
  readonly message: string;
}

/** One table maps each code to its status and public message; only http/respond reads it for answers. */
export const ERRORS: { readonly [C in ErrorCode]: ErrorSpec } = {
  ERR_NO_CREDENTIALS: { status: 401, oauthError: 'unauthorized', message: 'authentication required' },
  ERR_TOKEN_INVALID: { status: 401, oauthError: 'invalid_token', message: 'the access token is invalid' },
  ERR_TOKEN_EXPIRED: { status: 401, oauthError: 'invalid_token', message: 'the access token has expired' },
  ERR_SESSION_EXPIRED: { status: 401, oauthError: 'unauthorized', message: 'the session has ended; sign in again' },
  ERR_POLICY_DENIED: { status: 403, oauthError: 'access_denied', message: 'access denied by policy' },
  // RFC 9470 §3: the token is valid, but the rule wants a more recent or stronger sign-in.
  ERR_STEP_UP_REQUIRED: { status: 401, oauthError: 'insufficient_user_authentication', message: 'a more recent or stronger sign-in is required' },
  ERR_BAD_TARGET: { status: 400, oauthError: 'invalid_request', message: 'the request target is malformed or ambiguous' },
  ERR_BAD_REDIRECT: { status: 400, oauthError: 'invalid_request', message: 'the redirect target is not allowed' },
  ERR_LOGIN_FAILED: { status: 400, oauthError: 'invalid_request', message: 'the sign-in could not be completed; start again' },
  ERR_UNTRUSTED_PEER: { status: 403, oauthError: 'access_denied', message: 'forwarded headers from an untrusted peer' },
  ERR_IDP_UNAVAILABLE: { status: 503, oauthError: 'temporarily_unavailable', message: 'the identity provider is unavailable' },
  ERR_CONFIG_INVALID: { status: 500, oauthError: 'server_error', message: 'the configuration is invalid' },
  ERR_POLICY_INVALID: { status: 500, oauthError: 'server_error', message: 'the policy is invalid' },
  ERR_INTERNAL: { status: 500, oauthError: 'server_error', message: 'internal error' },
};

/** Options for an AuthError: the private detail is logged, never sent. */
export interface AuthErrorOptions {
  readonly detail?: string;
  readonly cause?: unknown;
}

/** The one error class of keygate: a stable code, a private detail for logs, and the lower-layer cause. */
export class AuthError extends Error {
  /** Stable code from the catalog. */
  readonly code: ErrorCode;
  /** Private detail for the log; never part of an answer. */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, options: AuthErrorOptions = {}) {
    super(ERRORS[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
    this.detail = options.detail;
  }

  /** HTTP status for this error. */
  get status(): number {
    return ERRORS[this.code].status;
  }
}

/** Type guard: is this an AuthError? */
export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}
