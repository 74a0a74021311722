/**
 * The hot path: `/auth` and `/auth/nginx` on bare node:http (no express). One pipeline per subrequest, each step
 * filling one RequestContext: adapter (headers → target) → policy (match) → identity (bearer, Basic, session) →
 * decide → respond (http/respond builds every answer) → finish. A step returns a promise only when it did I/O, so a
 * subrequest that needs none (public rule, cached token, opened session, error) is answered synchronously (issue #5).
 * Invariant: every subrequest ends in exactly one finish(), and any error (thrown or rejected) becomes a 4xx/5xx.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthError } from '../errors.js';
import type { BasicExchange } from '../identity/basic-credentials.js';
import type { Decision, Target } from '../policy/types.js';
import type { SessionIdentity, SessionLayer } from '../session/types.js';
import { endDecisionSpan } from '../telemetry/decision-span.js';
import type { Span } from '../telemetry/tracer.js';
import { RequestContext, then, type AuthHandlerDeps, type Pipeline } from './request-context.js';
import { NO_CREDENTIALS, allowAnswers, errorAnswer, forbiddenAnswer, internalAnswer, requestKind, signInAnswer, stepUpAnswer, withCookies, writeAnswer, type Answer } from './respond.js';
import { nginxTarget, originalUrl, traefikTarget, type ProxyKind } from './target.js';
import { withUpstreamHeaders } from './upstream-headers.js';

export type { AuthHandlerDeps, PolicyMatch } from './request-context.js';

const RESERVED = '/_keygate/';

/** Creates the handler for `/auth` (Traefik, Caddy) and `/auth/nginx`. */
export function createAuthHandler(deps: AuthHandlerDeps): (req: IncomingMessage, res: ServerResponse, proxy: ProxyKind) => void {
  const p: Pipeline = { deps, allowed: allowAnswers(deps.config.headers) };
  return (req, res, proxy) => {
    const ctx = new RequestContext(req, res, proxy, performance.now());
    // A subrequest's body (if a proxy sends one) is never read: drain it now, as node's own fast path does.
    req.resume();
    const span = deps.tracer?.startDecision(req.headers['traceparent']); // IdP calls within it become its children
    let pending: void | Promise<void> = undefined;
    try {
      pending = span === undefined ? run(p, ctx) : deps.tracer?.within(span, () => run(p, ctx));
    } catch (err) {
      ctx.fail(err);
    }
    if (pending instanceof Promise) pending.then(() => finish(deps, ctx, span), (err: unknown) => finish(deps, ctx.fail(err), span));
    else finish(deps, ctx, span);
  };
}

/** adapter → policy → identity → decide (→ respond). */
function run(p: Pipeline, ctx: RequestContext): void | Promise<void> {
  const peer = ctx.req.socket.remoteAddress ?? '';
  if (!p.deps.isTrustedPeer(peer)) {
    p.deps.metrics.untrustedPeerRequests.inc();
    throw new AuthError('ERR_UNTRUSTED_PEER', { detail: `peer ${peer} is not in trustedProxies` });
  }
  const target = ctx.target = ctx.proxy === 'nginx' ? nginxTarget(ctx.req.headers) : traefikTarget(ctx.req.headers);
  if (target.path.startsWith(RESERVED) && p.deps.sessions !== undefined) return signInRoute(p.deps.sessions, ctx, target);
  ctx.match = p.deps.match(target);
  ctx.kind = requestKind(ctx.req.headers);
  return then(ctx.match.needsIdentity ? identify(p, ctx) : undefined, p, ctx, decide);
}

/** Identity from `Authorization` (Bearer, or Basic client credentials), else from the session cookie. */
function identify(p: Pipeline, ctx: RequestContext): void | Promise<void> {
  const auth = ctx.req.headers['authorization'];
  if (auth !== undefined && /^bearer(?:\s|$)/i.test(auth)) return bearer(p, ctx, auth.slice(6).trim());
  if (auth !== undefined && p.deps.basic !== undefined && /^basic\s/i.test(auth)) return basicCredentials(p, p.deps.basic, ctx, auth.slice(6).trim());
  if (p.deps.sessions !== undefined) return then(p.deps.sessions.identify(ctx.req.headers.cookie), p, ctx, fromSession);
}

function fromSession(_p: Pipeline, ctx: RequestContext, s: SessionIdentity | undefined): void {
  ctx.session = s;
  ctx.identity = s?.identity;
  ctx.accessToken = s?.accessToken;
}

/** A bearer token: the cached verification synchronously when there is one, else a full verification. */
function bearer(p: Pipeline, ctx: RequestContext, token: string): void | Promise<void> {
  ctx.credentials = true;
  ctx.accessToken = token;
  // A cached token passed the whitespace check before it was cached, so the cache is asked first.
  ctx.identity = p.deps.peek?.(token);
  if (ctx.identity !== undefined) return;
  if (token === '' || /\s/.test(token)) throw new AuthError('ERR_TOKEN_INVALID', { detail: 'malformed Authorization: Bearer header' });
  return p.deps.verify(token).then((identity) => { ctx.identity = identity; });
}

/** Basic client credentials: exchanged at Keycloak for a token (cached), which is then decided like a bearer token. */
function basicCredentials(p: Pipeline, basic: BasicExchange, ctx: RequestContext, credentials: string): Promise<void> {
  ctx.credentials = true;
  // The proxy (a trusted peer, checked above) appends the caller's address to X-Forwarded-For: limit per caller.
  const caller = String(ctx.req.headers['x-forwarded-for'] ?? '').split(',').at(-1)?.trim() || (ctx.req.socket.remoteAddress ?? '');
  return basic(credentials, caller).then((token) => bearer(p, ctx, token));
}

/** Decides, then answers: a browser without a usable identity (or due a step-up) is sent to sign in. */
function decide(p: Pipeline, ctx: RequestContext): void | Promise<void> {
  const d = ctx.match.decide(ctx.identity);
  ctx.decision = d.kind;
  ctx.rule = d.rule;
  ctx.reason = d.reason;
  const ended = d.kind === 'unauthenticated' ? ctx.session?.ended : undefined;
  if (ended !== undefined) {
    ctx.error = ended;
    ctx.reason = 'session_expired';
  }
  const sessions = p.deps.sessions;
  const t = ctx.target;
  if (sessions !== undefined && t !== undefined && signInFirst(ctx, d)) {
    const stepUp = d.kind === 'deny' ? d.stepUp : undefined;
    ctx.code = stepUp !== undefined ? 'ERR_STEP_UP_REQUIRED' : ended?.code;
    const start = { origin: `${t.scheme}://${t.authority}`, returnUrl: originalUrl(t), method: t.method, via: ctx.proxy, stepUp };
    return sessions.challenge(start).then((r) => { ctx.answer = withCookies(signInAnswer(r), ctx.session?.setCookie); });
  }
  ctx.answer = withCookies(respond(p, ctx, d), ctx.session?.setCookie);
}

/** Seconds after a sign-in during which a failing step-up rule answers 403 instead of asking for another sign-in. */
const STEP_UP_GRACE_S = 5;

/**
 * A browser navigation without an identity, or (issue 13 point 3) a session denied by a step-up rule: a new Keycloak
 * sign-in asked with max_age / acr_values. Never a loop: only when the session's sign-in is older than
 * STEP_UP_GRACE_S (unknown: no step-up), so a fresh sign-in that still fails gets 403. Never on nginx (3xx = 500).
 */
function signInFirst(ctx: RequestContext, d: Decision): boolean {
  if (ctx.kind !== 'browser') return false;
  if (d.kind === 'unauthenticated') return true;
  const id = ctx.identity;
  return d.kind === 'deny' && d.stepUp !== undefined && ctx.proxy !== 'nginx' && id?.via === 'session' && id.authTime !== undefined && Date.now() / 1000 - id.authTime >= STEP_UP_GRACE_S;
}

/** The answer to a decision (http/respond builds it); sets the catalog code of a refusal. */
function respond(p: Pipeline, ctx: RequestContext, d: Decision): Answer {
  if (d.kind === 'allow') {
    // With passAccessToken the upstream gets the caller's current token: the session's, or the verified bearer token
    // itself (Traefik deletes every authResponseHeaders header from the request unless the auth answer has it).
    const answer = p.allowed(ctx.identity, p.deps.config.passAccessToken ? ctx.accessToken : undefined);
    return d.upstream === undefined ? answer : withUpstreamHeaders(answer, d.upstream, ctx.identity);
  }
  if (d.kind === 'deny') {
    // A deny a new sign-in would fix: API callers are told so (RFC 9470); a browser not sent to sign in gets 403.
    const stepUp = d.stepUp !== undefined && ctx.kind === 'api' ? d.stepUp : undefined;
    ctx.code = stepUp !== undefined ? 'ERR_STEP_UP_REQUIRED' : 'ERR_POLICY_DENIED';
    if (stepUp !== undefined) return stepUpAnswer(d.rule, stepUp);
    // A browser's 403 page names the username and the rule's needs (from the policy, never the token).
    const m = ctx.match;
    const who = ctx.kind === 'browser' && ctx.identity !== undefined && m.needs !== undefined ? { user: ctx.identity.username, needs: m.needs() } : undefined;
    return forbiddenAnswer(d.rule, ctx.kind, who);
  }
  // An API caller whose session ended is told so (ERR_SESSION_EXPIRED); anyone else gets the prebuilt 401.
  ctx.code = ctx.error?.code;
  return ctx.error === undefined ? NO_CREDENTIALS : errorAnswer(ctx.error, false);
}

/** `/_keygate/*` through a forward-auth subrequest: the session layer's sign-in routes. */
function signInRoute(sessions: SessionLayer, ctx: RequestContext, t: Target): Promise<void> {
  const request = {
    origin: `${t.scheme}://${t.authority}`,
    // The target was read only after finding the peer in trustedProxies.
    originTrusted: true,
    path: t.path.slice('/_keygate'.length),
    query: new URLSearchParams(t.query),
    cookieHeader: ctx.req.headers.cookie,
    method: t.method,
    via: ctx.proxy,
  };
  return sessions.route(request).then((r) => {
    const answer = ctx.answer = signInAnswer(r);
    ctx.decision = answer.status < 400 ? 'unauthenticated' : answer.status < 500 ? 'bad_request' : 'error';
    ctx.reason = answer.status < 400 ? 'no_credentials' : 'bad_target';
    if (r.kind !== 'failed') return;
    ctx.error = r.error;
    ctx.code = r.error.code;
  });
}

/** The one place a subrequest ends: its answer written, counted in the metric and logged in the audit line. */
function finish(deps: AuthHandlerDeps, ctx: RequestContext, span: Span | undefined): void {
  const { req, res } = ctx;
  try {
    if (ctx.answer === undefined) ctx.fail(new AuthError('ERR_INTERNAL', { detail: 'the pipeline ended without an answer' }));
    // An allow is only ever written from a policy allow decision: fail closed on any mismatch.
    const answer = ctx.answer === undefined || (ctx.answer.status === 200 && ctx.decision !== 'allow') ? internalAnswer() : ctx.answer;
    writeAnswer(res, answer);
    const seconds = (performance.now() - ctx.started) / 1000;
    deps.metrics.decision(ctx.decision, ctx.rule, ctx.reason, seconds);
    const t = ctx.target;
    const id = ctx.identity;
    const method = t?.method ?? req.headers['x-forwarded-method']?.toString().slice(0, 16);
    deps.log.info('decision', {
      decision: ctx.decision, status: answer.status, rule: ctx.rule, reason: ctx.reason, proxy: ctx.proxy, method, host: t?.host, path: t?.path,
      // azp names the client (a bot's or agent's own client id); the path carries the resource id, e.g. the deployment.
      user: id?.username, sub: id?.sub, azp: id?.client, via: id?.via, peer: req.socket.remoteAddress,
      latency_ms: Math.round(seconds * 1e6) / 1e3,
      // Undefined fields are left out of the line.
      error: ctx.code, detail: ctx.error?.detail,
    });
    if (span !== undefined) endDecisionSpan(span, { ...ctx, status: answer.status, method, error: ctx.code, subject: id?.sub }, deps.tracer?.subject === true);
  } catch (err) {
    deps.log.error('failed to write answer', { error: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) writeAnswer(res, internalAnswer());
    else res.destroy();
  }
}
