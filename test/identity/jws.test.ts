/**
 * jws.ts, keygate's JWT verification on node:crypto (issue #5): tokens signed by jose verify for every supported
 * algorithm, and each check of DESIGN §4 refuses what it must (key fit, crit, signature, iss, exp, nbf, iat, sub).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { isAuthError } from '../../src/errors.js';
import { checkClaims, importVerificationKey, parseJwt, verifySignature } from '../../src/identity/jws.js';

const ISSUER = 'http://idp.test/realms/demo';
const NOW = 1_700_000_000_000;

function pair(alg: string): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (alg === 'ES384') return generateKeyPairSync('ec', { namedCurve: 'P-384' });
  if (alg === 'ES512') return generateKeyPairSync('ec', { namedCurve: 'P-521' });
  return generateKeyPairSync('ed25519');
}

function jwkOf(k: KeyObject, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...k.export({ format: 'jwk' }), kid: 'k1', ...extra };
}

function sign(privateKey: KeyObject, alg: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iss: ISSUER, sub: 'alice', exp: NOW / 1000 + 300, iat: NOW / 1000, ...claims }).setProtectedHeader({ alg, kid: 'k1', ...header }).sign(privateKey);
}

function code(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (err) {
    return isAuthError(err) ? err.code : `not an AuthError: ${String(err)}`;
  }
}

describe('jws: signatures', () => {
  for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
    it(`${alg}: a token signed by jose verifies; one flipped signature bit does not`, async () => {
      const { privateKey, publicKey } = pair(alg);
      const token = await sign(privateKey, alg);
      const jwt = parseJwt(token);
      const key = importVerificationKey(jwkOf(publicKey), alg);
      assert.equal(await verifySignature(jwt, key), true);
      const sig = Buffer.from(jwt.signature);
      sig[sig.length >> 1] = (sig[sig.length >> 1] ?? 0) ^ 1;
      assert.equal(await verifySignature({ ...jwt, signature: sig }, key), false);
      const other = importVerificationKey(jwkOf(pair(alg).publicKey), alg);
      assert.equal(await verifySignature(jwt, other), false, 'another key of the same kind');
    });
  }

  it('refuses a tampered payload under the original signature', async () => {
    const { privateKey, publicKey } = pair('RS256');
    const [h, , s] = (await sign(privateKey, 'RS256')).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ iss: ISSUER, sub: 'admin', exp: NOW / 1000 + 300 })).toString('base64url')}.${s}`;
    assert.equal(await verifySignature(parseJwt(forged), importVerificationKey(jwkOf(publicKey), 'RS256')), false);
  });

  it('refuses a key checked for another algorithm than the token names', async () => {
    const { privateKey, publicKey } = pair('RS256');
    const jwt = parseJwt(await sign(privateKey, 'RS256'));
    assert.equal(await verifySignature(jwt, importVerificationKey(jwkOf(publicKey), 'PS256')), false);
  });

  it('refuses an ES256 signature of the wrong length', async () => {
    const { privateKey, publicKey } = pair('ES256');
    const jwt = parseJwt(await sign(privateKey, 'ES256'));
    assert.equal(await verifySignature({ ...jwt, signature: Buffer.concat([jwt.signature, Buffer.alloc(1)]) }, importVerificationKey(jwkOf(publicKey), 'ES256')), false);
  });
});

describe('jws: keys must fit the algorithm', () => {
  it('refuses an RSA key for ES256, an EC key for RS256, P-384 for ES256, RSA-1024, private keys and unknown algs', () => {
    const rsa = pair('RS256').publicKey;
    assert.equal(code(() => importVerificationKey(jwkOf(rsa), 'ES256')), 'ERR_TOKEN_INVALID');
    assert.equal(code(() => importVerificationKey(jwkOf(pair('ES256').publicKey), 'RS256')), 'ERR_TOKEN_INVALID');
    assert.equal(code(() => importVerificationKey(jwkOf(pair('ES384').publicKey), 'ES256')), 'ERR_TOKEN_INVALID');
    assert.equal(code(() => importVerificationKey(jwkOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey), 'RS256')), 'ERR_TOKEN_INVALID');
    assert.equal(code(() => importVerificationKey(jwkOf(pair('RS256').privateKey), 'RS256')), 'ERR_TOKEN_INVALID');
    assert.equal(code(() => importVerificationKey(jwkOf(rsa), 'HS256')), 'ERR_TOKEN_INVALID');
    assert.equal(code(() => importVerificationKey({ kty: 'RSA', n: 'not-a-modulus', e: 'AQAB' }, 'RS256')), 'ERR_TOKEN_INVALID');
    assert.equal(code(() => importVerificationKey(jwkOf(rsa), 'RS256')), 'ok');
  });
});

describe('jws: parsing', () => {
  const h = Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url');
  const p = Buffer.from(JSON.stringify({ sub: 'a' })).toString('base64url');
  const cases: ReadonlyArray<[string, string]> = [
    ['two segments', `${h}.${p}`],
    ['empty signature', `${h}.${p}.`],
    ['empty header', `.${p}.c2ln`],
    ['four segments', `${h}.${p}.c2ln.c2ln`],
    ['non-base64url characters', `${h}.${p}+/.c2ln`],
    ['header not JSON', `bm90IGpzb24.${p}.c2ln`],
    ['header a JSON array', `${Buffer.from('["RS256"]').toString('base64url')}.${p}.c2ln`],
    ['payload a JSON string', `${h}.${Buffer.from('"alice"').toString('base64url')}.c2ln`],
    ['no alg', `${Buffer.from('{"kid":"k1"}').toString('base64url')}.${p}.c2ln`],
    ['crit header', `${Buffer.from('{"alg":"RS256","crit":["exp"],"exp":1}').toString('base64url')}.${p}.c2ln`],
    ['b64=false with crit', `${Buffer.from('{"alg":"RS256","b64":false,"crit":["b64"]}').toString('base64url')}.${p}.c2ln`],
    ['numeric kid', `${Buffer.from('{"alg":"RS256","kid":7}').toString('base64url')}.${p}.c2ln`],
  ];
  for (const [name, token] of cases) {
    it(`refuses ${name}`, () => assert.equal(code(() => parseJwt(token)), 'ERR_TOKEN_INVALID'));
  }
  it('keeps the exact signing input and the kid', () => {
    const jwt = parseJwt(`${Buffer.from('{"alg":"RS256","kid":"k9"}').toString('base64url')}.${p}.c2ln`);
    assert.equal(jwt.signingInput, `${Buffer.from('{"alg":"RS256","kid":"k9"}').toString('base64url')}.${p}`);
    assert.equal(jwt.kid, 'k9');
    assert.equal(jwt.signature.toString(), 'sig');
  });
});

describe('jws: registered claims', () => {
  const base = { iss: ISSUER, sub: 'alice', exp: NOW / 1000 + 300, iat: NOW / 1000 };
  const check = (claims: Record<string, unknown>, tolerance = 30): string => code(() => checkClaims(claims, { issuer: ISSUER, clockToleranceSeconds: tolerance, now: NOW }));
  const cases: ReadonlyArray<[string, Record<string, unknown>, string]> = [
    ['a valid set', base, 'ok'],
    ['another issuer', { ...base, iss: `${ISSUER}x` }, 'ERR_TOKEN_INVALID'],
    ['no issuer', { ...base, iss: undefined }, 'ERR_TOKEN_INVALID'],
    ['no exp', { ...base, exp: undefined }, 'ERR_TOKEN_INVALID'],
    ['exp as a string', { ...base, exp: String(base.exp) }, 'ERR_TOKEN_INVALID'],
    ['exp past by more than the tolerance', { ...base, exp: NOW / 1000 - 31 }, 'ERR_TOKEN_EXPIRED'],
    ['exp exactly at now - tolerance', { ...base, exp: NOW / 1000 - 30 }, 'ERR_TOKEN_EXPIRED'],
    ['exp past but within the tolerance', { ...base, exp: NOW / 1000 - 29 }, 'ok'],
    ['nbf beyond the tolerance', { ...base, nbf: NOW / 1000 + 31 }, 'ERR_TOKEN_INVALID'],
    ['nbf within the tolerance', { ...base, nbf: NOW / 1000 + 30 }, 'ok'],
    ['nbf as a string', { ...base, nbf: 'soon' }, 'ERR_TOKEN_INVALID'],
    ['iat as a string', { ...base, iat: 'now' }, 'ERR_TOKEN_INVALID'],
    ['no sub (a lightweight token; the verifier introspects or refuses it)', { ...base, sub: undefined }, 'ok'],
    ['empty sub', { ...base, sub: '' }, 'ERR_TOKEN_INVALID'],
    ['numeric sub', { ...base, sub: 42 }, 'ERR_TOKEN_INVALID'],
  ];
  for (const [name, claims, want] of cases) {
    it(`${name}: ${want}`, () => assert.equal(check(Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined))), want));
  }
  it('uses no tolerance when none is configured', () => {
    assert.equal(check({ ...base, exp: NOW / 1000 - 1 }, 0), 'ERR_TOKEN_EXPIRED');
    assert.equal(check({ ...base, exp: NOW / 1000 + 1 }, 0), 'ok');
  });
});
