/** keygate dev's compact audit lines (issue 16 point 6): one line per decision, no token, no private detail. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactDecision, compactDecisionLogger } from '../../dev/audit-lines.js';
import type { LogFields, Logger } from '../../src/util/log.js';

const T = Date.UTC(2026, 11, 6, 3, 51, 7, 250);

describe('compactDecision', () => {
  const table: { name: string; input: LogFields; want: string }[] = [
    {
      name: 'a browser session refused by a rule',
      input: { decision: 'deny', status: 403, rule: 'demo-admin', reason: 'condition_unmet', proxy: 'traefik', method: 'GET', host: '127.0.0.1', path: '/admin/', user: 'alice', sub: 'uuid-a', via: 'session', latency_ms: 1.2 },
      want: '03:51:07  403 deny             GET /admin/  rule demo-admin (condition_unmet)  alice (session)\n',
    },
    {
      name: 'an anonymous API call',
      input: { decision: 'unauthenticated', status: 401, rule: 'demo-api-read', reason: 'no_credentials', method: 'GET', path: '/api/flows' },
      want: '03:51:07  401 unauthenticated  GET /api/flows  rule demo-api-read (no_credentials)  anonymous\n',
    },
    {
      name: 'a token without a username shows its client',
      input: { decision: 'allow', status: 200, rule: 'ci', reason: 'condition_met', method: 'POST', path: '/ci', azp: 'ci-runner', via: 'bearer' },
      want: '03:51:07  200 allow            POST /ci  rule ci (condition_met)  client ci-runner\n',
    },
    {
      name: 'an error shows its code, never the private detail',
      input: { decision: 'unauthenticated', status: 401, rule: '(none)', reason: 'invalid_token', method: 'GET', path: '/api/flows', error: 'ERR_TOKEN_INVALID', detail: 'signature verification failed for eyJhbGciOi' },
      want: '03:51:07  401 unauthenticated  GET /api/flows  rule (none) (invalid_token)  anonymous  error ERR_TOKEN_INVALID\n',
    },
    {
      name: 'no target (bad request): dashes',
      input: { decision: 'bad_request', status: 400, rule: '(none)', reason: 'bad_target', error: 'ERR_BAD_TARGET' },
      want: '03:51:07  400 bad_request      - -  rule (none) (bad_target)  anonymous  error ERR_BAD_TARGET\n',
    },
    {
      name: 'control characters are escaped (a path cannot drive the terminal)',
      input: { decision: 'deny', status: 403, rule: 'r', reason: 'condition_unmet', method: 'GET', path: '/a\u001b[2J\u0085b', user: 'x\ny' },
      want: '03:51:07  403 deny             GET /a\\u001b[2J\\u0085b  rule r (condition_unmet)  x\\u000ay\n',
    },
    {
      name: 'a long path is cut',
      input: { decision: 'allow', status: 200, rule: 'r', reason: 'public', method: 'GET', path: `/${'a'.repeat(200)}` },
      want: `03:51:07  200 allow            GET /${'a'.repeat(119)}…  rule r (public)  anonymous\n`,
    },
  ];
  for (const c of table) it(c.name, () => assert.equal(compactDecision(T, c.input), c.want));
});

describe('compactDecisionLogger', () => {
  it('writes decisions compactly and passes every other line to the base logger', () => {
    const written: string[] = [];
    const passed: string[] = [];
    const base: Logger = {
      debug: (m) => passed.push(`debug ${m}`), info: (m) => passed.push(`info ${m}`), warn: (m) => passed.push(`warn ${m}`),
      error: (m) => passed.push(`error ${m}`), flush: () => passed.push('flush'),
    };
    const log = compactDecisionLogger((l) => written.push(l), base, () => T);
    log.info('decision', { decision: 'allow', status: 200, rule: 'r', reason: 'public', method: 'GET', path: '/' });
    log.info('logout', { user: 'alice' });
    log.warn('policy warning');
    log.error('failed to write answer');
    log.debug('x');
    log.flush();
    assert.deepEqual(written, ['03:51:07  200 allow            GET /  rule r (public)  anonymous\n']);
    assert.deepEqual(passed, ['info logout', 'warn policy warning', 'error failed to write answer', 'debug x', 'flush']);
  });
});
