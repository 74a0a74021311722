/** The listener is bound before discovery (issue #12 point 3): until the routes are in place it is alive but fails closed. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createHttpServer } from '../../src/http/server.js';

describe('createHttpServer before route()', () => {
  it('/healthz is 200, /auth and everything else 503; after route() requests reach the routes', async () => {
    const http = createHttpServer({ maxHeaderBytes: 16384, maxBodyBytes: 4096 });
    await new Promise<void>((r) => http.server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
    try {
      const table: Array<{ name: string; input: string; want: number }> = [
        { name: 'liveness', input: '/healthz', want: 200 },
        { name: 'forward auth', input: '/auth', want: 503 },
        { name: 'nginx auth', input: '/auth/nginx', want: 503 },
        { name: 'readiness', input: '/readyz', want: 503 },
      ];
      for (const c of table) assert.equal((await fetch(`${url}${c.input}`)).status, c.want, c.name);
      const auth = await fetch(`${url}/auth`);
      assert.deepEqual(await auth.json(), { error: 'temporarily_unavailable', error_description: 'keygate is starting' });
      http.route({
        auth: (_req, res, proxy) => { res.writeHead(204, { 'x-proxy': proxy }); res.end(); },
        app: (_req, res) => { res.writeHead(418); res.end(); },
      });
      const routed = await fetch(`${url}/auth/nginx`);
      assert.equal(routed.status, 204);
      assert.equal(routed.headers.get('x-proxy'), 'nginx');
      assert.equal((await fetch(`${url}/healthz`)).status, 418, 'after route() /healthz is the app\'s');
    } finally {
      http.server.closeAllConnections();
      await new Promise<void>((r) => http.server.close(() => r()));
    }
  });
});
