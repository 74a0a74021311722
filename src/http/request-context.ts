/** The request context of the hot path (http/auth-handler.ts): what one subrequest carries from step to step. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthError, isAuthError, type ErrorCode } from '../errors.js';
import type { Config } from '../config/types.js';
import type { BasicExchange } from '../identity/basic-credentials.js';
import type { Identity } from '../identity/types.js';
import type { DecisionLabel, Metrics } from '../metrics/metrics.js';
import { NO_RULE, type Decision, type DecisionReason, type Target } from '../policy/types.js';
import type { SessionIdentity, SessionLayer } from '../session/types.js';
import type { Tracer } from '../telemetry/tracer.js';
import type { Logger } from '../util/log.js';
import { errorAnswer, errorLabels, type AllowAnswers, type Answer, type RequestKind } from './respond.js';
import type { ProxyKind } from './target.js';

/** The current policy, matched against a target: tells whether an identity is needed, then decides. */
export interface PolicyMatch {
  readonly needsIdentity: boolean;
  decide(identity: Identity | undefined): Decision;
  /** What the matched rule needs, in one line, for the browser 403 page (policy/needs.ts); absent = not shown. */
  needs?(): string;
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

/** Before the policy is matched, deciding fails closed. */
const UNMATCHED: PolicyMatch = { needsIdentity: true, decide: () => { throw new AuthError('ERR_INTERNAL', { detail: 'decided before matching' }); } };

/** One subrequest: what the pipeline learnt so far and what it came to; finish() answers, counts and logs it. */
export class RequestContext {
  target: Target | undefined = undefined;
  kind: RequestKind = 'api';
  match: PolicyMatch = UNMATCHED;
  /** Credentials were presented in `Authorization` (a failure then answers `error="invalid_token"`). */
  credentials = false;
  identity: Identity | undefined = undefined;
  /** The caller's current access token (the bearer token, or the session's), for passAccessToken. */
  accessToken: string | undefined = undefined;
  session: SessionIdentity | undefined = undefined;
  /** The outcome: answer, metric labels, and the catalog code (with the error, for its private detail). */
  answer: Answer | undefined = undefined;
  decision: DecisionLabel = 'error';
  rule = NO_RULE;
  reason: DecisionReason = 'internal_error';
  code: ErrorCode | undefined = undefined;
  error: AuthError | undefined = undefined;
  constructor(readonly req: IncomingMessage, readonly res: ServerResponse, readonly proxy: ProxyKind, readonly started: number) {}

  /** Any error on the way: an AuthError keeps its status; anything else is a generic 500 `ERR_INTERNAL` (cause kept). */
  fail(err: unknown): this {
    const e = isAuthError(err) ? err : new AuthError('ERR_INTERNAL', { detail: err instanceof Error ? err.message : String(err), cause: err });
    const labels = errorLabels(e);
    this.answer = errorAnswer(e, this.credentials);
    this.decision = labels.decision;
    this.rule = NO_RULE;
    this.reason = labels.reason;
    this.code = e.code;
    this.error = e;
    return this;
  }
}

/** What every step reads besides the context: the deps and the handler's prebuilt allow answers. */
export interface Pipeline {
  readonly deps: AuthHandlerDeps;
  readonly allowed: AllowAnswers;
}

/** One step of the pipeline, continuing from the previous step's value. */
export type Step<T> = (p: Pipeline, ctx: RequestContext, value: T) => void | Promise<void>;

/** Runs `next` on `value` now, or once the promise of it resolves: the fast lane is this, not a copy of each branch. */
export function then<T>(value: T | Promise<T>, p: Pipeline, ctx: RequestContext, next: Step<T>): void | Promise<void> {
  return value instanceof Promise ? value.then((v) => next(p, ctx, v)) : next(p, ctx, value);
}

