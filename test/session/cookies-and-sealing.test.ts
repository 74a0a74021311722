import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK_SIZE, chunkCount, chunkedCookies, clearChunked, parseCookies, readChunked } from '../../src/session/cookies.js';
import { Sealer } from '../../src/session/seal.js';
import { isSessionData, sessionStatus, type SessionData } from '../../src/session/session.js';

const attrs = { domain: '.example.com', secure: true, path: '/', maxAge: 3600 };
const S1 = 'first-session-secret-0123456789abcdef';
const S2 = 'second-session-secret-0123456789abcdef';

/** What a browser would send back after receiving these Set-Cookie values. */
function jar(setCookies: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of setCookies) {
    const [pair = ''] = c.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    if (/Max-Age=0/.test(c)) m.delete(name);
    else m.set(name, pair.slice(eq + 1));
  }
  return m;
}

describe('chunked cookies', () => {
  it('splits a large value into keygate, keygate.1 … each under 4 KB, and reassembles it', () => {
    const value = 'x'.repeat(CHUNK_SIZE * 2 + 123);
    const set = chunkedCookies('keygate', value, attrs, 0);
    assert.equal(set.length, 3);
    for (const c of set) assert.ok(c.length < 4096, `${c.length} bytes`);
    assert.match(set[0] ?? '', /^keygate=x+; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax; Domain=\.example\.com; Secure$/);
    const cookies = jar(set);
    assert.equal(readChunked(cookies, 'keygate'), value);
    assert.equal(chunkCount(cookies, 'keygate'), 3);
  });
  it('a shorter value clears the stale chunks of a longer one', () => {
    const before = jar(chunkedCookies('keygate', 'y'.repeat(CHUNK_SIZE * 3), attrs, 0));
    const after = chunkedCookies('keygate', 'short', attrs, chunkCount(before, 'keygate'));
    assert.deepEqual(after.map((c) => c.split(';')[0]), ['keygate=short', 'keygate.1=', 'keygate.2=']);
    assert.ok(after.slice(1).every((c) => c.includes('Max-Age=0')));
  });
  it('clearChunked deletes every chunk', () => {
    assert.deepEqual(clearChunked('keygate', attrs, 3).map((c) => c.split(';')[0]), ['keygate=', 'keygate.1=', 'keygate.2=']);
  });
  it('parseCookies keeps the first of duplicate names and ignores junk', () => {
    const c = parseCookies('a=1; junk; b = 2 ; a=3; =x');
    assert.deepEqual([...c], [['a', '1'], ['b', '2']]);
  });
});

describe('sealing', () => {
  const data: SessionData = { v: 1, sub: 's', u: 'alice', e: 'a@x', n: 'Alice', r: ['viewer'], g: ['/a'], sc: [], iat: 1000, seen: 1000, exp: 5000, rt: 'refresh-token-value' };
  it('round-trips, hiding every field', async () => {
    const sealed = await new Sealer([S1], 'session').seal(data);
    for (const secret of ['alice', 'viewer', 'refresh-token-value']) assert.ok(!sealed.includes(secret) && !Buffer.from(sealed.split('.')[4] ?? '', 'base64url').toString('latin1').includes(secret));
    assert.deepEqual(await new Sealer([S1], 'session').open(sealed), data);
  });
  it('one flipped character anywhere makes it worthless', async () => {
    const s = new Sealer([S1], 'session');
    const sealed = await s.seal(data);
    for (let i = 0; i < sealed.length; i += 7) {
      if (sealed[i] === '.') continue;
      const flipped = `${sealed.slice(0, i)}${sealed[i] === 'A' ? 'B' : 'A'}${sealed.slice(i + 1)}`;
      assert.equal(await s.open(flipped), undefined, `flip at ${i}`);
    }
  });
  it('rotation: the first secret seals, every secret opens; a removed secret no longer opens', async () => {
    const old = await new Sealer([S1], 'session').seal(data);
    const rotated = new Sealer([S2, S1], 'session');
    assert.deepEqual(await rotated.open(old), data, 'sessions sealed with the old secret stay valid');
    const fresh = await rotated.seal(data);
    assert.deepEqual(await new Sealer([S2], 'session').open(fresh), data, 'new sessions use the new secret');
    assert.equal(await new Sealer([S2], 'session').open(old), undefined);
  });
  it('a login-transaction value can never be opened as a session', async () => {
    const tx = await new Sealer([S1], 'login').seal(data);
    assert.equal(await new Sealer([S1], 'session').open(tx), undefined);
  });
});

describe('session lifetime', () => {
  const limits = { maxAgeMs: 8 * 3600_000, idleMs: 3600_000 };
  const s: SessionData = { v: 1, sub: 's', u: '', e: '', n: '', r: [], g: [], sc: [], iat: 0, seen: 0, exp: 300_000 };
  const table: Array<{ name: string; now: number; session?: Partial<SessionData>; want: string }> = [
    { name: 'fresh', now: 1000, want: 'valid' },
    { name: 'access token expired', now: 300_000, want: 'refresh' },
    { name: 'idle too long', now: 3600_000, session: { exp: 9e12 }, want: 'idle' },
    { name: 'past the absolute lifetime', now: 8 * 3600_000, session: { seen: 8 * 3600_000 - 1, exp: 9e12 }, want: 'expired' },
    { name: 'created in the future (clock games)', now: 0, session: { iat: 120_000, seen: 120_000 }, want: 'expired' },
  ];
  for (const c of table) it(c.name, () => assert.equal(sessionStatus({ ...s, ...c.session }, c.now, limits), c.want));
  it('isSessionData refuses shapes that are not sessions', () => {
    assert.equal(isSessionData(s), true);
    assert.equal(isSessionData({ ...s, r: ['ok', 3] }), false);
    assert.equal(isSessionData({ ...s, v: 2 }), false);
    assert.equal(isSessionData({ ...s, sub: '' }), false);
    assert.equal(isSessionData('nope'), false);
  });
});
