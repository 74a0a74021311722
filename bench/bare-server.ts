/**
 * The bare baselines, one process each: `auth` answers every request 200 with the headers keygate sends on an
 * allow (written the same way as keygate's writeAnswer); `jose` does the same after jose's jwtVerify of the bearer
 * token (401 when it fails), the yardstick for keygate's cold path; `upstream` is the tiny app behind Caddy.
 * Usage: node dist/bench/bare-server.js auth|upstream|jose [JWKS_FILE ISSUER]  → prints `ready <port>`.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importJWK, jwtVerify, type JWK } from 'jose';

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

const [mode, jwksFile, issuer] = process.argv.slice(2);

/** jose's jwtVerify with the checks keygate asks of it, then the allow answer. */
async function joseHandler(): Promise<RequestListener> {
  if (jwksFile === undefined || issuer === undefined) throw new Error('jose mode needs JWKS_FILE and ISSUER');
  const jwk = (JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys: JWK[] }).keys.find((k) => k.use === 'sig');
  if (jwk === undefined) throw new Error('no signature key in the JWKS');
  const key = await importJWK(jwk, 'RS256');
  const options = { issuer, algorithms: ['RS256', 'PS256', 'ES256'], clockTolerance: 30, requiredClaims: ['exp', 'sub'] };
  const token = (req: IncomingMessage): string => (req.headers.authorization ?? '').slice(7);
  return (req, res) => {
    req.resume();
    jwtVerify(token(req), key, options).then(() => {
      res.writeHead(200, ALLOW_HEADERS);
      res.end('');
    }, () => {
      res.writeHead(401, { 'content-length': '0' });
      res.end('');
    });
  };
}

const handlers: Record<string, () => RequestListener | Promise<RequestListener>> = {
  auth: () => (req, res) => {
    req.resume();
    res.writeHead(200, ALLOW_HEADERS);
    res.end('');
  },
  upstream: () => (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    res.end('ok\n');
  },
  jose: joseHandler,
};
const handler = mode === undefined ? undefined : handlers[mode];
if (handler === undefined) {
  process.stderr.write('usage: bare-server.js auth|upstream|jose [JWKS_FILE ISSUER]\n');
  process.exit(2);
}

const server = createServer(await handler());
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
