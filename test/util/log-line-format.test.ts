/** Pins the audit/log line format: the fast path must write exactly what `JSON.stringify({ time, level, msg, ...fields })` writes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, formatLine, type LogFields } from '../../src/util/log.js';

const TIME = '2026-01-02T03:04:05.678Z';

const cases: ReadonlyArray<{ name: string; msg: string; fields: LogFields | undefined }> = [
  { name: 'no fields', msg: 'keygate listening', fields: undefined },
  { name: 'empty fields', msg: 'x', fields: {} },
  { name: 'only undefined fields', msg: 'x', fields: { a: undefined } },
  { name: 'decision line', msg: 'decision', fields: { decision: 'allow', status: 200, rule: 'r', user: undefined, ok: true, n: null, latency_ms: 0.125 } },
  { name: 'strings needing escapes', msg: 'quote " and \u2028', fields: { path: '/a"b\\c\n', host: 'ü.example' } },
  { name: 'a field named msg replaces it in place', msg: 'outer', fields: { a: 1, msg: 'inner' } },
  { name: 'a field named time or level replaces it in place', msg: 'm', fields: { level: 'custom', time: 'then' } },
  { name: 'a field named toJSON', msg: 'm', fields: { toJSON: 'not a function' } },
  { name: 'non-finite numbers', msg: 'm', fields: { a: Number.NaN, b: Number.POSITIVE_INFINITY } },
];

describe('formatLine', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(formatLine(TIME, 'info', c.msg, c.fields), `${JSON.stringify({ time: TIME, level: 'info', msg: c.msg, ...c.fields })}\n`);
    });
  }
});

describe('createLogger timestamps', () => {
  it('writes each line with its own millisecond, also when several lines share one', () => {
    const clock = [1000, 1000, 1001, 1000];
    let i = 0;
    let out = '';
    const log = createLogger({ level: 'info', now: () => clock[i++] ?? 0, write: (chunk) => { out += chunk; } });
    for (let n = 0; n < clock.length; n++) log.info('m', { n });
    log.flush();
    const times = out.trim().split('\n').map((l) => (JSON.parse(l) as { time: string }).time);
    assert.deepEqual(times, clock.map((ms) => new Date(ms).toISOString()));
  });
});
