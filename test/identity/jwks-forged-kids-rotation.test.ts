/**
 * Issue 12 point 1: forged kids must not block a real key rotation. A fake JWKS server (real HTTP on loopback) and
 * the real verifier: a flood of tokens with random kids puts the refetch into its cooldown, the IdP then rotates
 * (signs with a new key at once), and tokens signed with the new key get 503 (Retry-After) or wait, never 401,
 * and are accepted within the bound: at most cooldown + one fetch after the rotation.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { isAuthError } from '../../src/errors.js';
import { JwksCache, type JwksOptions } from '../../src/identity/jwks.js';
import { TokenVerifier } from '../../src/identity/verify-token.js';

const ISSUER = 'http://127.0.0.1/realms/rotation';
const COOLDOWN_MS = 2_000;
const MAX_WAIT_MS = 1_000;

function keyPair(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } };
}
const oldKey = keyPair('old-key');
const newKey = keyPair('new-key');
const attacker = keyPair('unused');

function mint(key: { privateKey: ReturnType<typeof keyPair>['privateKey'] }, kid: string, user = 'alice'): Promise<string> {
  return new SignJWT({ typ: 'Bearer', aud: 'keygate', preferred_username: user, realm_access: { roles: ['viewer'] } })
    .setProtectedHeader({ alg: 'RS256', kid }).setIssuer(ISSUER).setSubject(`sub-${user}`).setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
}

/** `jwt` with its header's kid replaced (the signature no longer matches anything: it is never checked). */
function withKid(jwt: string, kid: string): string {
  const [h, p, s] = jwt.split('.');
  const header = { ...(JSON.parse(Buffer.from(h ?? '', 'base64url').toString()) as object), kid };
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${s}`;
}

/** A JWKS endpoint whose key set the test changes; counts the fetches. */
async function fakeJwks(): Promise<{ url: string; keys: object[]; fetches: () => number; server: Server }> {
  const state = { keys: [oldKey.jwk] as object[], fetches: 0 };
  const server = createServer((_req, res) => {
    state.fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/certs`,
    get keys() { return state.keys; },
    set keys(k: object[]) { state.keys = k; },
    fetches: () => state.fetches,
    server,
  };
}

/** The code a verification ends with: 'ok', or the AuthError code. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isAuthError(err) ? err.code : String(err);
  }
}

const servers: Server[] = [];
after(() => { for (const s of servers) s.close(); });

describe('forged kids, then a key rotation', () => {
  it('tokens signed with the new key are never 401 and are accepted within cooldown + one fetch, while forged kids keep arriving', async () => {
    const idp = await fakeJwks();
    servers.push(idp.server);
    // Passed as a variable: the same file compiles against the JwksCache before the fix (issue 12 point 1).
    const opts: JwksOptions = { jwksUri: idp.url, algorithms: ['RS256'], fetch, now: Date.now, cooldownMs: COOLDOWN_MS, maxWaitMs: MAX_WAIT_MS };
    const jwks = new JwksCache(opts);
    const verifier = new TokenVerifier({
      checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: [], clockToleranceSeconds: 0 },
      jwks: () => jwks,
      now: Date.now,
    });
    assert.equal(await jwks.refresh(), true);
    assert.equal(await outcome(verifier.verify(await mint(oldKey, 'old-key'))), 'ok');
    await new Promise((r) => setTimeout(r, COOLDOWN_MS));

    // The attacker's flood: tokens with random kids (one token signed with a key the IdP never had, its header's kid
    // rewritten each time: cheap to send, as an attacker's are), 25 every 20 ms.
    const forged: Array<Promise<string>> = [];
    let flooding = true;
    const template = await mint(attacker, 'x', 'mallory');
    const flood = (async () => {
      while (flooding) {
        for (let i = 0; i < 25; i++) forged.push(outcome(verifier.verify(withKid(template, randomUUID()))));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const fetchesBeforeRotation = idp.fetches();
    assert.ok(fetchesBeforeRotation >= 2, 'the flood made keygate refetch the JWKS (the cooldown now runs)');

    // Keycloak rotates: the new key is published and signs from now on; the old one stays (passive).
    idp.keys = [newKey.jwk, oldKey.jwk];
    const rotatedAt = Date.now();
    const attempts: string[] = [];
    let acceptedAfter = -1;
    // A client that honours 503 + Retry-After retries; here every 100 ms, for at most cooldown + 3 s.
    while (Date.now() - rotatedAt < COOLDOWN_MS + 3_000) {
      const token = await mint(newKey, 'new-key', `bob${attempts.length}`);
      const got = await outcome(verifier.verify(token));
      attempts.push(got);
      if (got === 'ok') {
        acceptedAfter = Date.now() - rotatedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    flooding = false;
    await flood;
    const forgedOutcomes = await Promise.all(forged);

    assert.deepEqual(attempts.filter((a) => a !== 'ok' && a !== 'ERR_IDP_UNAVAILABLE'), [], `a token signed with the new key got something other than 200 or 503: ${attempts.join(', ')}`);
    assert.ok(acceptedAfter >= 0, `the new key's token was never accepted: ${attempts.join(', ')}`);
    assert.ok(acceptedAfter <= COOLDOWN_MS + 1_000, `accepted ${acceptedAfter} ms after the rotation, beyond cooldown + one fetch (and the 100 ms retry step)`);
    assert.equal(forgedOutcomes.filter((o) => o === 'ok').length, 0, 'no forged token is ever accepted');
    assert.ok(forgedOutcomes.every((o) => o === 'ERR_TOKEN_INVALID' || o === 'ERR_IDP_UNAVAILABLE'), [...new Set(forgedOutcomes)].join(','));
    const window = Date.now() - rotatedAt + 200;
    assert.ok(idp.fetches() - fetchesBeforeRotation <= Math.ceil(window / COOLDOWN_MS) + 1, `JWKS fetched ${idp.fetches()} times for ${forged.length} forged tokens`);
    assert.equal(await outcome(verifier.verify(await mint(oldKey, 'old-key', 'carol'))), 'ok', 'the old key still verifies while the IdP publishes it');
    console.log(`# ${forged.length} forged tokens, ${idp.fetches()} JWKS fetches; new key accepted ${acceptedAfter} ms after the rotation, after ${attempts.length - 1} 503s`);
  });

  it('a new-key token arriving within the wait bound of the next refetch waits for it, shared with every other waiter', async () => {
    const idp = await fakeJwks();
    servers.push(idp.server);
    const opts: JwksOptions = { jwksUri: idp.url, algorithms: ['RS256'], fetch, now: Date.now, cooldownMs: COOLDOWN_MS, maxWaitMs: MAX_WAIT_MS };
    const jwks = new JwksCache(opts);
    const verifier = new TokenVerifier({
      checks: { issuer: ISSUER, algorithms: ['RS256'], audiences: ['keygate'], authorizedParties: [], clockToleranceSeconds: 0 },
      jwks: () => jwks,
      now: Date.now,
    });
    await jwks.refresh();
    await new Promise((r) => setTimeout(r, COOLDOWN_MS));
    assert.equal(await outcome(verifier.verify(await mint(attacker, randomUUID()))), 'ERR_TOKEN_INVALID', 'a forged kid checked against a JWKS fetched after it arrived is refused');
    const cooldownFrom = Date.now();
    idp.keys = [newKey.jwk, oldKey.jwk];
    await new Promise((r) => setTimeout(r, COOLDOWN_MS - MAX_WAIT_MS / 2));
    const fetches = idp.fetches();
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => mint(newKey, 'new-key', `user${i}`)));
    const started = Date.now();
    const got = await Promise.all(tokens.map((t) => outcome(verifier.verify(t))));
    assert.deepEqual(new Set(got), new Set(['ok']), got.join(','));
    assert.equal(idp.fetches() - fetches, 1, 'the 50 waiters shared one fetch');
    assert.ok(Date.now() - started <= MAX_WAIT_MS + 500, `waited ${Date.now() - started} ms`);
    assert.ok(Date.now() - cooldownFrom >= COOLDOWN_MS - 50, 'and the cooldown held');
  });
});
