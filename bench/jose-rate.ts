/**
 * The cold-bearer yardstick, in its own process: jose's own `jwtVerify` rate with 50 verifications in flight,
 * with the checks keygate asks of jose (issuer, algorithms, clock tolerance, exp and sub required).
 * Usage: node dist/bench/jose-rate.js TOKENS_FILE JWKS_FILE ISSUER SECONDS  → prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { importJWK, jwtVerify, type JWK } from 'jose';

const [tokenFile, jwksFile, issuer, secondsArg] = process.argv.slice(2);
if (tokenFile === undefined || jwksFile === undefined || issuer === undefined || secondsArg === undefined) {
  process.stderr.write('usage: jose-rate.js TOKENS_FILE JWKS_FILE ISSUER SECONDS\n');
  process.exit(2);
}
const tokens = readFileSync(tokenFile, 'utf8').split('\n').filter((t) => t !== '');
const jwks = JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys: JWK[] };
const jwk = jwks.keys.find((k) => k.use === 'sig');
if (jwk === undefined) throw new Error('no signature key in the JWKS');
const key = await importJWK(jwk, 'RS256');
const options = { issuer, algorithms: ['RS256', 'PS256', 'ES256'], clockTolerance: 30, requiredClaims: ['exp', 'sub'] };
const CONCURRENCY = 50;

let next = 0;
let done = 0;

/** Verifies tokens in order with CONCURRENCY in flight until `until` (performance.now() ms). */
async function drive(until: number): Promise<void> {
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < until) {
      const token = tokens[next++ % tokens.length] ?? '';
      await jwtVerify(token, key, options);
      done++;
    }
  }));
}

await drive(performance.now() + 1000); // warm-up
done = 0;
const t0 = performance.now();
await drive(t0 + Number(secondsArg) * 1000);
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ verified: done, seconds, rate: done / seconds })}\n`);
