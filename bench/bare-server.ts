/**
 * The bare baselines, one process each: `auth` answers every request 200 with the headers keygate sends on an
 * allow (written the same way as keygate's writeAnswer); `upstream` is the tiny app behind Caddy.
 * Usage: node dist/bench/bare-server.js auth|upstream  → prints `ready <port>`.
 */
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

const ALLOW_HEADERS: OutgoingHttpHeaders = {
  'cache-control': 'no-store',
  'content-length': '0',
  'X-Auth-User': 'bench-user-25',
  'X-Auth-Email': 'bench-user-25@bench.test',
  'X-Auth-Subject': '7d2c3e0a-8f4b-4c1e-9a55-0b7f3c2d1e25',
  'X-Auth-Name': 'Bench User 25',
  'X-Auth-Roles': 'bench-reader',
  'X-Auth-Groups': '/bench/team',
};

const mode = process.argv[2];
if (mode !== 'auth' && mode !== 'upstream') {
  process.stderr.write('usage: bare-server.js auth|upstream\n');
  process.exit(2);
}

const server = mode === 'auth'
  ? createServer((req, res) => {
    req.resume();
    res.writeHead(200, ALLOW_HEADERS);
    res.end('');
  })
  : createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    res.end('ok\n');
  });
// The same keep-alive settings as keygate's server, so connection handling is identical.
server.keepAliveTimeout = 75_000;
server.headersTimeout = 80_000;
server.requestTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
