import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { createSessionModule } from '../../src/session/module.js';
import { startTestIdp } from '../support/idp.js';
import { startKeygate, type TestKeygate } from '../support/keygate.js';
import { APP_HOST, APP_POLICY } from './fixtures.js';

// Issue #12 point 7: bodies and header blocks over limits.* get a 4xx and are never buffered.
const MAX_BODY = 4096;
const MAX_HEADERS = 8192;

let idp: KeycloakLookalike;
let kg: TestKeygate;

before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, APP_POLICY, {
    env: { KEYGATE_MAX_BODY_BYTES: String(MAX_BODY), KEYGATE_MAX_HEADER_BYTES: String(MAX_HEADERS) },
    service: { sessions: createSessionModule },
  });
});
after(async () => {
  await kg.close();
  await idp.close();
});

const FORWARDED = { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': APP_HOST, 'x-forwarded-uri': '/api/flows', accept: 'application/json' };

interface Sent {
  readonly path: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Bytes to send; with `declared`, Content-Length says that many whatever is sent; without it, chunked. */
  readonly bytes: number;
  readonly declared?: number;
}

/** Sends a request whose body is streamed in 16 KiB chunks; resolves to the status (0 when the connection was cut first). */
function send(s: Sent): Promise<number> {
  const u = new URL(kg.url);
  const headers: Record<string, string> = { ...s.headers };
  if (s.declared !== undefined) headers['content-length'] = String(s.declared);
  else headers['transfer-encoding'] = 'chunked';
  return new Promise((resolve) => {
    const req = request({ host: u.hostname, port: u.port, path: s.path, method: s.method ?? 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.flushHeaders();
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let left = s.bytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      if (s.declared === undefined || s.declared === s.bytes) req.end();
    };
    pump();
  });
}

describe('request-size limits (issue #12 point 7)', () => {
  const table: Array<{ name: string; input: Sent; want: number }> = [
    { name: '/auth: Content-Length over limits.maxBodyBytes is 413 before reading', input: { path: '/auth', headers: FORWARDED, bytes: 1024, declared: 50 * 1024 * 1024 }, want: 413 },
    { name: '/auth: a chunked body over the limit is 413', input: { path: '/auth', headers: FORWARDED, bytes: 256 * 1024 }, want: 413 },
    { name: '/auth: a small body is read and dropped, then decided (401 without credentials)', input: { path: '/auth', headers: FORWARDED, bytes: 100, declared: 100 }, want: 401 },
    { name: '/auth: a declared body that never comes (nginx without Content-Length "") is decided at once', input: { path: '/auth', headers: FORWARDED, bytes: 0, declared: 100 }, want: 401 },
    { name: '/auth/nginx: Content-Length over the limit is 413', input: { path: '/auth/nginx', headers: { 'x-original-url': `https://${APP_HOST}/api/flows`, 'x-original-method': 'GET' }, bytes: 1024, declared: 10 * 1024 * 1024 }, want: 413 },
    { name: 'back-channel logout: a 3 KB body is read (400: not a logout token)', input: { path: '/_keygate/backchannel-logout', headers: { 'content-type': 'application/x-www-form-urlencoded' }, bytes: 3000, declared: 3000 }, want: 400 },
    { name: 'back-channel logout: Content-Length over the limit is 413', input: { path: '/_keygate/backchannel-logout', headers: { 'content-type': 'application/x-www-form-urlencoded' }, bytes: 1024, declared: 50 * 1024 * 1024 }, want: 413 },
    { name: 'back-channel logout: a chunked body over the limit is 413', input: { path: '/_keygate/backchannel-logout', headers: { 'content-type': 'application/x-www-form-urlencoded' }, bytes: 256 * 1024 }, want: 413 },
    { name: 'callback: Content-Length over the limit is 413', input: { path: '/_keygate/callback?code=x&state=y', bytes: 1024, declared: 50 * 1024 * 1024 }, want: 413 },
    { name: 'callback: a chunked body over the limit is 413', input: { path: '/_keygate/callback?code=x&state=y', bytes: 256 * 1024 }, want: 413 },
    { name: 'logout (POST): a chunked body over the limit is 413', input: { path: '/_keygate/logout', bytes: 256 * 1024 }, want: 413 },
  ];
  for (const c of table) it(c.name, async () => assert.equal(await send(c.input), c.want));

  it('a header block over limits.maxHeaderBytes (a huge cookie) is 431; one within it is decided', async () => {
    const big = await send({ path: '/auth', method: 'GET', headers: { ...FORWARDED, cookie: `keygate=${'x'.repeat(MAX_HEADERS + 100)}` }, bytes: 0, declared: 0 });
    assert.equal(big, 431);
    const ok = await send({ path: '/auth', method: 'GET', headers: { ...FORWARDED, cookie: `other=${'x'.repeat(MAX_HEADERS - 1024)}` }, bytes: 0, declared: 0 });
    assert.equal(ok, 401);
  });

  it('memory stays flat under 40 oversized bodies of 4 MB each', async () => {
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 40; i++) {
      const status = await send({ path: i % 2 === 0 ? '/auth' : '/_keygate/backchannel-logout', headers: { ...FORWARDED, 'content-type': 'application/x-www-form-urlencoded' }, bytes: 4 * 1024 * 1024 });
      assert.ok(status === 413 || status === 0, `got ${status}`);
    }
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1024 / 1024)} MB for 160 MB sent`);
  });
});
