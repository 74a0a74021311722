/**
 * The hot path: `/auth` and `/auth/nginx` on bare node:http (no express). Invariant: every path through
 * this file ends in exactly one answer, and any error (thrown or rejected) becomes a 4xx/5xx, never a 200.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthError, isAuthError } from '../errors.js';
import type { Config } from '../config/types.js';
import type { BasicExchange } from '../identity/basic-credentials.js';
import type { Identity } from '../identity/types.js';
import type { DecisionLabel, Metrics } from '../metrics/metrics.js';
import { NO_RULE, type Decision, type DecisionReason, type StepUp, type Target } from '../policy/types.js';
import { endDecisionSpan } from '../telemetry/decision-span.js';
import type { Span, Tracer } from '../telemetry/tracer.js';
import type { Logger } from '../util/log.js';
import { allowAnswer, errorAnswer, forbiddenAnswer, internalAnswer, requestKind, stepUpAnswer, type Answer, type ForbiddenContext, type RequestKind } from './respond.js';
import { nginxTarget, traefikTarget, type ProxyKind } from './target.js';
import { withUpstreamHeaders } from './upstream-headers.js';

/** The current policy, matched against a target: tells whether an identity is needed, then decides. */
export interface PolicyMatch {
  readonly needsIdentity: boolean;
  decide(identity: Identity | undefined): Decision;
  /** What the matched rule needs, in one line, for the browser 403 page (policy/needs.ts); absent = not shown. */
  needs?(): string;
}

/** What the session layer (browser sign-in) offers the hot path. Absent = bearer tokens only. */
export interface SessionLayer {
  /**
   * Identity from the session cookie, refreshing it when due; undefined when there is no usable session.
   * Synchronous when no I/O is needed (no cookie, or an opened session needing no refresh), else a promise.
   */
  identify(req: IncomingMessage, target: Target): SessionIdentity | undefined | Promise<SessionIdentity | undefined>;
  /** Answers `/_keygate/*` paths that arrive through a forward-auth subrequest. */
  forwarded(req: IncomingMessage, target: Target, proxy: ProxyKind): Promise<Answer>;
  /** The answer for an unauthenticated browser navigation (redirect to Keycloak; 401 + Location on nginx). */
  challenge(req: IncomingMessage, target: Target, proxy: ProxyKind, stepUp?: StepUp): Promise<Answer>;
}

/** A session's identity plus what the answer must carry (renewed cookies, the access token for upstream). */
export interface SessionIdentity {
  readonly identity: Identity | undefined;
  readonly accessToken?: string;
  readonly setCookie?: readonly string[];
}

/** Everything the handler needs; all injected so tests can put faults anywhere. */
export interface AuthHandlerDeps {
  readonly config: Config;
  readonly match: (target: Target) => PolicyMatch;
  readonly verify: (token: string) => Promise<Identity>;
  /** A still-valid cached verification of `token`, answered synchronously (optional fast lane). */
  readonly peek?: ((token: string) => Identity | undefined) | undefined;
  /** Exchanges `Authorization: Basic` client credentials for a token (basicClients); absent = Basic is ignored. */
  readonly basic?: BasicExchange | undefined;
  readonly sessions?: SessionLayer | undefined;
  readonly isTrustedPeer: (ip: string) => boolean;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** OpenTelemetry tracer; absent = tracing off, and the hot path does no tracing work at all. */
  readonly tracer?: Tracer | undefined;
}

/** What one subrequest came to, for the answer, the metric and the audit line. */
interface Outcome {
  answer: Answer;
  decision: DecisionLabel;
  rule: string;
  reason: DecisionReason;
  target?: Target;
  identity?: Identity | undefined;
  error?: AuthError;
}

const RESERVED = '/_keygate/';

/** Creates the handler for one proxy kind. */
export function createAuthHandler(deps: AuthHandlerDeps): (req: IncomingMessage, res: ServerResponse, proxy: ProxyKind) => void {
  const allowed = allowAnswers(deps);
  return (req, res, proxy) => {
    const started = performance.now();
    // A subrequest's body (if a proxy sends one) is never read: drain it now, as node's own fast path does.
    req.resume();
    // The decision span sits under the proxy's traceparent; IdP calls made for this decision become its children.
    const span = deps.tracer?.startDecision(req.headers['traceparent']);
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = span === undefined ? decideRequest(deps, allowed, req, proxy) : deps.tracer!.within(span, () => decideRequest(deps, allowed, req, proxy));
    } catch (err) {
      outcome = failure(err);
    }
    // Decisions that need no I/O (public rules, cached tokens, errors) are answered without a promise.
    if (outcome instanceof Promise) outcome.then((o) => finishSafely(deps, req, res, proxy, o, started, span), (err: unknown) => finishSafely(deps, req, res, proxy, failure(err), started, span));
    else finishSafely(deps, req, res, proxy, outcome, started, span);
  };
}

function finishSafely(deps: AuthHandlerDeps, req: IncomingMessage, res: ServerResponse, proxy: ProxyKind, o: Outcome, started: number, span: Span | undefined): void {
  try {
    finish(deps, req, res, proxy, o, started, span);
  } catch (err) {
    deps.log.error('failed to write answer', { error: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) writeAnswer(res, internalAnswer());
    else res.destroy();
  }
}

/** Any error on the decision path: an AuthError keeps its status; anything else is a generic 500. */
function failure(err: unknown): Outcome {
  if (isAuthError(err)) {
    const label: DecisionLabel = err.status === 400 ? 'bad_request' : err.status >= 500 ? 'error' : err.status === 401 ? 'unauthenticated' : 'deny';
    return { answer: errorAnswer(err, false), decision: label, rule: NO_RULE, reason: reasonOf(err), error: err };
  }
  const e = new AuthError('ERR_INTERNAL', { detail: err instanceof Error ? err.message : String(err), cause: err });
  return { answer: internalAnswer(), decision: 'error', rule: NO_RULE, reason: 'internal_error', error: e };
}

function reasonOf(err: AuthError): DecisionReason {
  switch (err.code) {
    case 'ERR_TOKEN_EXPIRED': return 'expired_token';
    case 'ERR_TOKEN_INVALID': return 'invalid_token';
    case 'ERR_SESSION_EXPIRED': return 'session_expired';
    case 'ERR_NO_CREDENTIALS': return 'no_credentials';
    case 'ERR_BAD_TARGET': case 'ERR_BAD_REDIRECT': case 'ERR_LOGIN_FAILED': return 'bad_target';
    case 'ERR_UNTRUSTED_PEER': return 'untrusted_peer';
    case 'ERR_IDP_UNAVAILABLE': return 'idp_unavailable';
    default: return 'internal_error';
  }
}

/** Builds allow answers; one per identity when no access token rides along (identities are shared by the caches). */
type AllowAnswers = (identity: Identity | undefined, accessToken: string | undefined) => Answer;

function allowAnswers(deps: AuthHandlerDeps): AllowAnswers {
  const names = deps.config.headers;
  const byIdentity = new WeakMap<Identity, Answer>();
  const anonymous = allowAnswer(names, undefined);
  return (identity, accessToken) => {
    if (accessToken !== undefined) return allowAnswer(names, identity, accessToken);
    if (identity === undefined) return anonymous;
    let a = byIdentity.get(identity);
    if (a === undefined) {
      a = allowAnswer(names, identity);
      byIdentity.set(identity, a);
    }
    return a;
  };
}

function decideRequest(deps: AuthHandlerDeps, allowed: AllowAnswers, req: IncomingMessage, proxy: ProxyKind): Outcome | Promise<Outcome> {
  const peer = req.socket.remoteAddress ?? '';
  if (!deps.isTrustedPeer(peer)) {
    deps.metrics.untrustedPeerRequests.inc();
    throw new AuthError('ERR_UNTRUSTED_PEER', { detail: `peer ${peer} is not in trustedProxies` });
  }
  const target = proxy === 'nginx' ? nginxTarget(req.headers) : traefikTarget(req.headers);
  if (target.path.startsWith(RESERVED) && deps.sessions !== undefined) return reserved(deps.sessions, req, target, proxy);
  const m = deps.match(target);
  const kind = requestKind(req.headers);
  if (!m.needsIdentity) return fromDecision(deps, allowed, req, proxy, target, kind, m, m.decide(undefined), undefined);
  const auth = req.headers['authorization'];
  if (auth !== undefined && /^bearer(?:\s|$)/i.test(auth)) return bearer(deps, allowed, req, proxy, target, kind, m, auth.slice(6).trim());
  if (auth !== undefined && deps.basic !== undefined && /^basic\s/i.test(auth)) return basicCredentials(deps, deps.basic, allowed, req, proxy, target, kind, m, auth.slice(6).trim(), peer);
  if (deps.sessions === undefined) return fromDecision(deps, allowed, req, proxy, target, kind, m, m.decide(undefined), undefined);
  const session = deps.sessions.identify(req, target);
  if (session instanceof Promise) return session.then((s) => fromDecision(deps, allowed, req, proxy, target, kind, m, m.decide(s?.identity), s));
  return fromDecision(deps, allowed, req, proxy, target, kind, m, m.decide(session?.identity), session);
}

async function reserved(sessions: SessionLayer, req: IncomingMessage, target: Target, proxy: ProxyKind): Promise<Outcome> {
  const answer = await sessions.forwarded(req, target, proxy);
  const label: DecisionLabel = answer.status < 400 ? 'unauthenticated' : answer.status < 500 ? 'bad_request' : 'error';
  return { answer, decision: label, rule: NO_RULE, reason: answer.status < 400 ? 'no_credentials' : 'bad_target', target };
}

/** A bearer token: the cached verification synchronously when there is one, else a full verification. */
function bearer(deps: AuthHandlerDeps, allowed: AllowAnswers, req: IncomingMessage, proxy: ProxyKind, target: Target, kind: RequestKind, m: PolicyMatch, token: string): Outcome | Promise<Outcome> {
  const tokenFailure = (err: unknown): Outcome => {
    if (!isAuthError(err)) throw err;
    return { ...failure(err), answer: errorAnswer(err, true), target };
  };
  // A cached token passed the whitespace check before it was cached, so the cache is asked first.
  const cached = deps.peek?.(token);
  if (cached !== undefined) return fromDecision(deps, allowed, req, proxy, target, kind, m, m.decide(cached), { identity: cached, accessToken: token });
  if (token === '' || /\s/.test(token)) return tokenFailure(new AuthError('ERR_TOKEN_INVALID', { detail: 'malformed Authorization: Bearer header' }));
  return deps.verify(token).then((identity) => fromDecision(deps, allowed, req, proxy, target, kind, m, m.decide(identity), { identity, accessToken: token }), tokenFailure);
}

/** Basic client credentials: exchanged at Keycloak for a token (cached), which is then decided like a bearer token. */
function basicCredentials(deps: AuthHandlerDeps, basic: BasicExchange, allowed: AllowAnswers, req: IncomingMessage, proxy: ProxyKind, target: Target, kind: RequestKind, m: PolicyMatch, credentials: string, peer: string): Promise<Outcome> {
  // The proxy (a trusted peer, checked above) appends the caller's address to X-Forwarded-For: limit per caller.
  const caller = String(req.headers['x-forwarded-for'] ?? '').split(',').at(-1)?.trim() || peer;
  return basic(credentials, caller).then((token) => bearer(deps, allowed, req, proxy, target, kind, m, token), (err: unknown) => {
    if (!isAuthError(err)) throw err;
    return { ...failure(err), answer: errorAnswer(err, true), target };
  });
}

function fromDecision(deps: AuthHandlerDeps, allowed: AllowAnswers, req: IncomingMessage, proxy: ProxyKind, target: Target, kind: RequestKind, m: PolicyMatch, d: Decision, s: SessionIdentity | undefined): Outcome | Promise<Outcome> {
  const identity = s?.identity;
  if (d.kind === 'unauthenticated' && kind === 'browser' && deps.sessions !== undefined) {
    return deps.sessions.challenge(req, target, proxy).then((challenge) => outcomeOf(d, withSession(challenge, s), target, identity));
  }
  // Step-up of a browser session (issue 13 point 3): a new Keycloak sign-in asked with max_age / acr_values. Never a
  // loop: only when the session's sign-in is older than STEP_UP_GRACE_S, so a fresh sign-in that still fails gets 403.
  if (d.kind === 'deny' && d.stepUp !== undefined && kind === 'browser' && proxy !== 'nginx' && deps.sessions !== undefined && signedInBefore(identity, STEP_UP_GRACE_S)) {
    return deps.sessions.challenge(req, target, proxy, d.stepUp).then((challenge) => outcomeOf(d, withSession(challenge, s), target, identity));
  }
  let answer: Answer;
  if (d.kind === 'allow') {
    // With passAccessToken the upstream gets the caller's current token: the session's, or the verified bearer token
    // itself (Traefik deletes every authResponseHeaders header from the request unless the auth answer has it).
    const token = deps.config.passAccessToken ? s?.accessToken : undefined;
    answer = allowed(identity, token);
    if (d.upstream !== undefined) answer = withUpstreamHeaders(answer, d.upstream, identity);
  } else if (d.kind === 'deny') {
    // A deny a new sign-in would fix: API callers are told so (RFC 9470); a browser not sent to sign in above gets 403.
    answer = d.stepUp !== undefined && kind === 'api' ? stepUpAnswer(d.rule, d.stepUp) : forbiddenAnswer(d.rule, kind, forbiddenContext(kind, m, identity));
  } else {
    answer = NO_CREDENTIALS;
  }
  return outcomeOf(d, withSession(answer, s), target, identity);
}

/** What a browser's 403 page names: the username and the rule's needs (from the policy, never the token). */
function forbiddenContext(kind: RequestKind, m: PolicyMatch, identity: Identity | undefined): ForbiddenContext | undefined {
  if (kind !== 'browser' || identity === undefined || m.needs === undefined) return undefined;
  return { user: identity.username, needs: m.needs() };
}

/** Seconds after a sign-in during which a failing step-up rule answers 403 instead of asking for another sign-in. */
const STEP_UP_GRACE_S = 5;

/** A session identity whose `auth_time` is known and at least `seconds` old (unknown: no step-up, so no loop). */
function signedInBefore(identity: Identity | undefined, seconds: number): boolean {
  return identity?.via === 'session' && identity.authTime !== undefined && Date.now() / 1000 - identity.authTime >= seconds;
}

/** The 401 for a missing identity never changes: built once. */
const NO_CREDENTIALS: Answer = errorAnswer(new AuthError('ERR_NO_CREDENTIALS'), false);

function outcomeOf(d: Decision, answer: Answer, target: Target, identity: Identity | undefined): Outcome {
  return { answer, decision: d.kind, rule: d.rule, reason: d.reason, target, identity };
}

function withSession(a: Answer, s: SessionIdentity | undefined): Answer {
  return s?.setCookie !== undefined && s.setCookie.length > 0 ? withCookies(a, s.setCookie) : a;
}

function withCookies(a: Answer, cookies: readonly string[]): Answer {
  const prev = a.headers['set-cookie'];
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  return { ...a, headers: { ...a.headers, 'set-cookie': [...list, ...cookies] } };
}

function finish(deps: AuthHandlerDeps, req: IncomingMessage, res: ServerResponse, proxy: ProxyKind, o: Outcome, started: number, span: Span | undefined): void {
  // An allow is only ever written from a policy allow decision: fail closed on any mismatch.
  const answer = o.answer.status === 200 && o.decision !== 'allow' ? internalAnswer() : o.answer;
  writeAnswer(res, answer);
  const seconds = (performance.now() - started) / 1000;
  deps.metrics.decision(o.decision, o.rule, o.reason, seconds);
  const t = o.target;
  const id = o.identity;
  deps.log.info('decision', {
    decision: o.decision, status: answer.status, rule: o.rule, reason: o.reason, proxy,
    method: t?.method ?? req.headers['x-forwarded-method']?.toString().slice(0, 16), host: t?.host, path: t?.path,
    // azp names the client (a bot's or agent's own client id); the path carries the resource id, e.g. the deployment.
    user: id?.username, sub: id?.sub, azp: id?.client, via: id?.via, peer: req.socket.remoteAddress,
    latency_ms: Math.round(seconds * 1e6) / 1e3,
    // Undefined fields are left out of the line.
    error: o.error?.code, detail: o.error?.detail,
  });
  if (span !== undefined) {
    const method = t?.method ?? req.headers['x-forwarded-method']?.toString().slice(0, 16);
    endDecisionSpan(span, { decision: o.decision, rule: o.rule, reason: o.reason, proxy, status: answer.status, method, error: o.error?.code, subject: id?.sub }, deps.tracer?.subject === true);
  }
}

/** Writes an answer; answers built by http/respond already carry their content-length. */
export function writeAnswer(res: ServerResponse, a: Answer): void {
  const body = a.body;
  const sized = body === '' || a.headers['content-length'] !== undefined;
  res.writeHead(a.status, sized ? a.headers : { ...a.headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
