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

/** A small deterministic PRNG, so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const POOL = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', 'ü', '\u2028', '\ud800', '\udc00', '😀', '{', '}', ':', ','];
const NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123.456, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Number.NaN, Number.NEGATIVE_INFINITY];

describe('formatLine on random fields', () => {
  it('matches JSON.stringify for 2,000 random field sets (keys and values with escapes, surrogates, integer-like keys)', () => {
    const next = rng(20261122);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    const str = (): string => Array.from({ length: Math.floor(next() * 8) }, () => pick(POOL)).join('');
    for (let n = 0; n < 2000; n++) {
      const fields: Record<string, string | number | boolean | undefined | null> = {};
      const count = Math.floor(next() * 6);
      for (let k = 0; k < count; k++) {
        const key = next() < 0.2 ? String(Math.floor(next() * 5)) : str();
        const r = next();
        fields[key] = r < 0.5 ? str() : r < 0.7 ? pick(NUMBERS) : r < 0.8 ? next() < 0.5 : r < 0.9 ? null : undefined;
      }
      const msg = str();
      assert.equal(formatLine(TIME, 'warn', msg, fields), `${JSON.stringify({ time: TIME, level: 'warn', msg, ...fields })}\n`, `case ${n}: ${JSON.stringify(fields)}`);
    }
  });
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
