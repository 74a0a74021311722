/**
 * A rule's upstream headers (issue 13) added to its 200 answer. Values are sanitised like the identity headers;
 * a claim the token lacks is sent empty, so the proxy overwrites a client's forged copy. A secret is revealed here
 * and nowhere else: it goes to the proxy in this answer only, never into logs, explain or a 403 body.
 */
import { AuthError } from '../errors.js';
import type { Identity } from '../identity/types.js';
import type { UpstreamHeader } from '../policy/upstream-headers.js';
import { headerValue, type Answer } from './respond.js';

/** `answer` with the rule's headers set (they replace identity headers or the access token of the same name). */
export function withUpstreamHeaders(answer: Answer, upstream: readonly UpstreamHeader[], identity: Identity | undefined): Answer {
  const headers = { ...answer.headers };
  for (const h of upstream) headers[h.lower] = upstreamValue(h, identity);
  return { ...answer, headers };
}

function upstreamValue(h: UpstreamHeader, identity: Identity | undefined): string {
  switch (h.value.kind) {
    case 'fixed':
      return headerValue(h.value.value);
    case 'claim': {
      // sid is per-token, so not among the shared identity's claims; the Identity keeps it (revocation), for bearer
      // tokens and browser sessions alike: `{ claim: sid }` gives the caller's Keycloak session id.
      if (h.value.claim === 'sid') return headerValue(identity?.sid ?? '');
      const claims = identity?.claims;
      const v = claims !== undefined && Object.hasOwn(claims, h.value.claim) ? claims[h.value.claim] : undefined;
      if (v === undefined) return '';
      return headerValue(typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : v.join(','));
    }
    case 'secret':
      // The service always loads secrets with the policy; should one be missing, the answer is a 500, never a 200 without it.
      if (h.value.secret === undefined) throw new AuthError('ERR_INTERNAL', { detail: `the secret of upstream header ${h.name} was not loaded` });
      return headerValue(h.value.secret.reveal());
  }
}
