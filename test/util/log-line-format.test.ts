/**
 * Pins the audit/log line format through pino: each line is one JSON object with `time` (ISO), `level` (a name),
 * `msg` and the fields, exactly the object `{ time, level, msg, ...fields }` of keygate's log before pino (undefined
 * fields left out, non-finite numbers null), except that a field named like an own key is renamed `_<name>`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, type LogFields, type LogLevel } from '../../src/util/log.js';

const TIME = '2026-01-02T03:04:05.678Z';

/** The lines one log call writes, each checked to be a single line. */
function linesOf(level: LogLevel, msg: string, fields: LogFields | undefined): string[] {
  const out: string[] = [];
  const log = createLogger({ level: 'debug', now: () => Date.parse(TIME), write: (line) => out.push(line) });
  log[level](msg, fields);
  for (const line of out) assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), `one line: ${JSON.stringify(line)}`);
  return out;
}

/** What the JSON line holds: `{ time, level, msg, ...fields }` as JSON would write it. */
function want(level: LogLevel, msg: string, fields: LogFields | undefined): unknown {
  return JSON.parse(JSON.stringify({ time: TIME, level, msg, ...fields }));
}

const cases: ReadonlyArray<{ name: string; msg: string; fields: LogFields | undefined }> = [
  { name: 'no fields', msg: 'keygate listening', fields: undefined },
  { name: 'empty fields', msg: 'x', fields: {} },
  { name: 'only undefined fields', msg: 'x', fields: { a: undefined } },
  { name: 'decision line', msg: 'decision', fields: { decision: 'allow', status: 200, rule: 'r', user: undefined, ok: true, n: null, latency_ms: 0.125 } },
  { name: 'strings needing escapes', msg: 'quote " and \u2028', fields: { path: '/a"b\\c\n', host: 'ü.example' } },
  { name: 'a field named toJSON', msg: 'm', fields: { toJSON: 'not a function' } },
  { name: 'non-finite numbers', msg: 'm', fields: { a: Number.NaN, b: Number.POSITIVE_INFINITY } },
  { name: 'integer-like keys', msg: 'm', fields: { b: 1, 1: 'one', 0: 'zero' } },
];

describe('createLogger line format', () => {
  for (const c of cases) {
    it(c.name, () => {
      const lines = linesOf('info', c.msg, c.fields);
      assert.equal(lines.length, 1);
      assert.deepEqual(JSON.parse(lines[0] as string), want('info', c.msg, c.fields));
    });
  }
  it('writes each level by name, and nothing below the configured level', () => {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      assert.deepEqual(linesOf(level, 'm', { a: 1 }).map((l) => JSON.parse(l) as unknown), [want(level, 'm', { a: 1 })]);
    }
    const out: string[] = [];
    const log = createLogger({ level: 'warn', write: (line) => out.push(line) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    assert.deepEqual(out.map((l) => (JSON.parse(l) as { msg: string }).msg), ['w', 'e']);
  });
  it('a field named time, level or msg is written as _time, _level, _msg: it cannot replace the line\'s own', () => {
    const [line] = linesOf('info', 'outer', { a: 1, msg: 'inner', level: 'error', time: 'then' });
    assert.deepEqual(JSON.parse(line as string), { time: TIME, level: 'info', msg: 'outer', a: 1, _msg: 'inner', _level: 'error', _time: 'then' });
    // No key twice in the text, where a parser could take either.
    for (const key of ['"msg"', '"level"', '"time"']) assert.equal((line as string).split(key).length, 2, `${key} once in ${line}`);
  });
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

describe('createLogger on random fields', () => {
  it('writes what JSON.stringify would, for 2,000 random field sets (keys and values with escapes, surrogates, integer-like keys)', () => {
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
      for (const own of ['time', 'level', 'msg']) delete fields[own];
      const msg = str();
      const lines = linesOf('warn', msg, fields);
      assert.equal(lines.length, 1);
      assert.deepEqual(JSON.parse(lines[0] as string), want('warn', msg, fields), `case ${n}: ${JSON.stringify(fields)}`);
    }
  });
});

describe('createLogger timestamps', () => {
  it('writes each line with its own millisecond, also when several lines share one', () => {
    const clock = [1000, 1000, 1001, 1000];
    let i = 0;
    let out = '';
    const log = createLogger({ level: 'info', now: () => clock[i++] ?? 0, write: (line) => { out += line; } });
    i = 0; // pino reads the clock once when it is built
    for (let n = 0; n < clock.length; n++) log.info('m', { n });
    log.flush();
    const times = out.trim().split('\n').map((l) => (JSON.parse(l) as { time: string }).time);
    assert.deepEqual(times, clock.map((ms) => new Date(ms).toISOString()));
  });
});
