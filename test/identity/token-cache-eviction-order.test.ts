/** Pins ExpiringCache's eviction order now that the oldest entry is found through a queue, not Map iteration (issue #5). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiringCache } from '../../src/identity/token-cache.js';

const FAR = 1e12;

function present(c: ExpiringCache<number>, keys: readonly string[]): string[] {
  return keys.filter((k) => c.get(k, 0) !== undefined);
}

describe('ExpiringCache eviction order', () => {
  it('a key set again counts as newest', () => {
    const c = new ExpiringCache<number>(3);
    for (const k of ['a', 'b', 'c', 'a', 'd']) c.set(k, 1, FAR);
    assert.deepEqual(present(c, ['a', 'b', 'c', 'd']), ['a', 'c', 'd']);
  });

  it('evicts the oldest live entry, skipping entries removed by deleteWhere or expiry', () => {
    const c = new ExpiringCache<number>(3);
    c.set('a', 1, FAR);
    c.set('b', 2, FAR);
    c.set('x', 3, 10);
    assert.equal(c.deleteWhere((v) => v === 2), 1);
    assert.equal(c.get('x', 10), undefined); // expired, and dropped on read
    c.set('d', 4, FAR);
    c.set('e', 5, FAR);
    c.set('f', 6, FAR); // full (a, d, e): evicts a
    assert.deepEqual(present(c, ['a', 'b', 'x', 'd', 'e', 'f']), ['d', 'e', 'f']);
  });

  it('keeps exact order across many replacements (queue compaction)', () => {
    const c = new ExpiringCache<number>(4);
    for (let i = 0; i < 10_000; i++) c.set(`k${i % 3}`, i, FAR);
    c.set('n1', 1, FAR); // k0, k1, k2 were last set in the order k1 (9997), k2 (9998), k0 (9999)
    c.set('n2', 2, FAR); // evicts k1
    c.set('n3', 3, FAR); // evicts k2
    assert.deepEqual(present(c, ['k0', 'k1', 'k2', 'n1', 'n2', 'n3']), ['k0', 'n1', 'n2', 'n3']);
    assert.equal(c.size, 4);
  });

  it('stays bounded through a long run of distinct keys', () => {
    const c = new ExpiringCache<number>(100);
    for (let i = 0; i < 50_000; i++) c.set(`t${i}`, i, FAR);
    assert.equal(c.size, 100);
    assert.equal(c.get('t49899', 0), undefined);
    assert.equal(c.get('t49900', 0), 49_900);
  });
});
