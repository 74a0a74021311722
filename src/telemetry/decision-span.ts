/** What a decision span records: the outcome's labels, never a user, path or token (the subject id only when opted in). */
import type { Span } from './tracer.js';

/** The outcome of one decision, as the audit line and the metric see it. */
export interface DecisionFacts {
  readonly decision: string;
  readonly rule: string;
  readonly reason: string;
  readonly proxy: string;
  readonly status: number;
  /** The forwarded method (already bounded by the adapter), or undefined. */
  readonly method: string | undefined;
  readonly error: string | undefined;
  readonly subject: string | undefined;
}

/** Sets the decision's attributes on `span` and ends it; a 5xx marks the span as failed. */
export function endDecisionSpan(span: Span, facts: DecisionFacts, withSubject: boolean): void {
  span.set('keygate.decision', facts.decision);
  span.set('keygate.rule', facts.rule);
  span.set('keygate.reason', facts.reason);
  span.set('keygate.proxy', facts.proxy);
  span.set('http.request.method', facts.method);
  span.set('http.response.status_code', facts.status);
  span.set('error.type', facts.error);
  if (withSubject) span.set('enduser.id', facts.subject);
  if (facts.status >= 500) span.fail();
  span.end();
}
