/**
 * What the session layer offers the hot path and the sign-in routes, and what it hands back: data (an identity,
 * cookies to set, a redirect to make, a page to show), never an answer. http/respond turns the data into answers.
 */
import type { AuthError } from '../errors.js';
import type { Identity } from '../identity/types.js';
import type { StepUp } from '../policy/types.js';

/** Who asked: a forward-auth subrequest from a proxy kind, or a direct request to keygate. */
export type Via = 'traefik' | 'nginx' | 'direct';

/** A session's identity plus what the answer must carry (renewed or cleared cookies, the access token for upstream). */
export interface SessionIdentity {
  readonly identity: Identity | undefined;
  readonly accessToken?: string;
  readonly setCookie?: readonly string[];
  /** Why a session cookie stood for no identity: it expired, was logged out or could not be refreshed. */
  readonly ended?: AuthError;
}

/** A sign-in route's request, whichever way it arrived (forward-auth subrequest or direct). */
export interface SignInRequest {
  readonly origin: string;
  /** Whether `origin` came from a trusted proxy or publicUrl: then a redirect to its own host is always allowed. */
  readonly originTrusted: boolean;
  /** The path below `/_keygate`, e.g. `/callback`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly cookieHeader: string | undefined;
  readonly method: string;
  readonly via: Via;
}

/** An unauthenticated browser navigation to send to sign-in: where it came from and where it goes back to. */
export interface SignInStart {
  readonly origin: string;
  readonly returnUrl: string;
  readonly method: string;
  readonly via: Exclude<Via, 'direct'>;
  /** A fresh or stronger sign-in the rule asks for (issue 13 point 3). */
  readonly stepUp?: StepUp | undefined;
}

/** What a sign-in route, or a challenge, came to. */
export type SignInResult =
  /** A redirect (302/303; on nginx's auth_request a 401 carrying the Location), with the cookies to set. */
  | { readonly kind: 'redirect'; readonly location: string; readonly method: string; readonly via: Via; readonly cookies: readonly string[] }
  /** Signed out, with nowhere to send the browser (Keycloak has no end-session endpoint and no `rd`). */
  | { readonly kind: 'signed-out'; readonly cookies: readonly string[] }
  /** The route failed: a sign-in error page for `error`, still setting `cookies` (logout clears the session). */
  | { readonly kind: 'failed'; readonly error: AuthError; readonly cookies: readonly string[] }
  /** No such sign-in route. */
  | { readonly kind: 'not-found' };

/** A back-channel logout: revoked, or refused with the reason. */
export type BackchannelResult = { readonly kind: 'revoked' } | { readonly kind: 'refused'; readonly error: AuthError };

/** The browser sign-in layer. Absent = bearer tokens only. */
export interface SessionLayer {
  /**
   * Identity from the session cookie, refreshing it when due; undefined when there is no session cookie.
   * Synchronous when no I/O is needed (no cookie, or an opened session needing no refresh), else a promise.
   */
  identify(cookieHeader: string | undefined): SessionIdentity | undefined | Promise<SessionIdentity | undefined>;
  /** Where an unauthenticated browser navigation goes (Keycloak; `/_keygate/start` on nginx). */
  challenge(start: SignInStart): Promise<SignInResult>;
  /** Serves start, callback and logout; every failure is a `failed` result, never a session. */
  route(request: SignInRequest): Promise<SignInResult>;
  /** `/_keygate/backchannel-logout`: verifies Keycloak's logout token (form body) and revokes its sid or sub. */
  backchannel(body: string): Promise<BackchannelResult>;
}
