/**
 * Issue 12 point 6 for the JWKS: a Keycloak that never answers, trickles, answers HTML, 10 MB of JSON or 10,000
 * keys makes the fetch fail within its bound; with no cached key the token gets 503 (fail closed), never a hang.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { isAuthError } from '../../src/errors.js';
import { JwksCache, JWKS_DEFAULTS } from '../../src/identity/jwks.js';

const servers: Server[] = [];
after(() => { for (const s of servers) { s.closeAllConnections(); s.close(); } });

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
}

const rsaJwk = (i: number) => ({ kty: 'RSA', kid: `k${i}`, use: 'sig', alg: 'RS256', n: 'x'.repeat(342), e: 'AQAB' });

const cases: Array<{ name: string; handler: (req: IncomingMessage, res: ServerResponse) => void; detail: RegExp }> = [
  { name: 'accepts the connection and never answers', handler: () => undefined, detail: /no complete answer within 300 ms/ },
  { name: 'sends headers, then trickles the body', handler: (_q, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.write('{"keys":['); }, detail: /no complete answer within 300 ms/ },
  { name: 'answers an HTML page', handler: (_q, res) => { res.setHeader('content-type', 'text/html'); res.end('<html>login</html>'); }, detail: /JSON/ },
  { name: 'answers 10 MB of JSON (Content-Length)', handler: (_q, res) => res.end(JSON.stringify({ keys: [], pad: 'x'.repeat(10 * 1024 * 1024) })), detail: /answer larger than the 524288-byte limit/ },
  { name: 'answers 10 MB of JSON (chunked)', handler: (_q, res) => { res.write('{"keys":[],"pad":"'); for (let i = 0; i < 10; i++) res.write('x'.repeat(1024 * 1024)); res.end('"}'); }, detail: /answer larger than the 524288-byte limit/ },
  { name: 'serves a JWKS with 10,000 keys', handler: (_q, res) => res.end(JSON.stringify({ keys: Array.from({ length: 10_000 }, (_, i) => ({ kty: 'EC', kid: `k${i}` })) })), detail: /10000 keys, more than the 100 accepted/ },
  { name: 'answers HTTP 500', handler: (_q, res) => { res.statusCode = 500; res.end('{}'); }, detail: /HTTP 500/ },
];

describe('JWKS fetch bounds', () => {
  for (const c of cases) {
    it(`${c.name}: the fetch fails within its bound and the token gets 503`, async () => {
      const url = await serve(c.handler);
      const details: string[] = [];
      const jwks = new JwksCache({ jwksUri: url, algorithms: ['RS256'], fetch, now: Date.now, timeoutMs: 300, onFetch: (ok, d) => { if (!ok) details.push(d ?? ''); } });
      const started = Date.now();
      let code = 'resolved';
      try {
        await jwks.resolve({ alg: 'RS256', kid: 'k1' });
      } catch (err) {
        code = isAuthError(err) ? err.code : String(err);
      }
      assert.equal(code, 'ERR_IDP_UNAVAILABLE');
      assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`);
      assert.equal(jwks.loaded, false);
      assert.match(details[0] ?? '', c.detail);
      assert.ok((details[0] ?? '').includes(url), 'the detail names the URL');
    });
  }

  it('a JWKS at the key limit is accepted, one more key is refused and the cached keys stay', async () => {
    let n = JWKS_DEFAULTS.maxKeys;
    const url = await serve((_q, res) => res.end(JSON.stringify({ keys: Array.from({ length: n }, (_, i) => rsaJwk(i)) })));
    const jwks = new JwksCache({ jwksUri: url, algorithms: ['RS256'], fetch, now: Date.now });
    assert.equal(await jwks.refresh(), true);
    assert.equal(jwks.size, JWKS_DEFAULTS.maxKeys);
    n = JWKS_DEFAULTS.maxKeys + 1;
    assert.equal(await jwks.refresh(), false);
    assert.equal(jwks.size, JWKS_DEFAULTS.maxKeys, 'a refused JWKS replaces nothing');
  });
});
