/**
 * JWT (compact JWS) verification on node:crypto: parse, key/algorithm fit, signature, registered claims.
 *
 * Why not jose's jwtVerify here: jose 6 verifies through WebCrypto, whose per-call overhead made a cold bearer
 * token cost ~38 µs of CPU against ~23 µs for node:crypto's own verify of the same signature (issue #5, cold
 * scenario). node:crypto's callback form also runs the RSA/ECDSA math on libuv's thread pool, off the event loop.
 * The checks are jose's (DESIGN §4): algorithm allow-list, no `crit`, key type/curve/size matching the algorithm,
 * signature over the exact signing input, `iss`, `exp` (required) and `nbf` with clock tolerance, numeric `iat`,
 * and a string `sub`. Callers add Keycloak's `typ` and `aud`/`azp` checks.
 */
import { constants, createPublicKey, verify as cryptoVerify, type JsonWebKey, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { AuthError } from '../errors.js';
import { isRecord } from './claims.js';
import type { SignatureWorkers } from './signature-workers.js';

/** What verifying one algorithm takes. */
interface AlgorithmSpec {
  /** Digest for node:crypto's verify; null for EdDSA. */
  readonly digest: string | null;
  readonly keyTypes: readonly string[];
  /** Required EC curve (node's name). */
  readonly curve?: string;
  /** PSS salt length (= digest length, as JWA requires). */
  readonly pssSalt?: number;
  /** Exact ECDSA signature length (r || s). */
  readonly signatureBytes?: number;
}

const RSA = ['rsa'];
const SPECS: Readonly<Record<string, AlgorithmSpec>> = {
  RS256: { digest: 'sha256', keyTypes: RSA },
  RS384: { digest: 'sha384', keyTypes: RSA },
  RS512: { digest: 'sha512', keyTypes: RSA },
  PS256: { digest: 'sha256', keyTypes: RSA, pssSalt: 32 },
  PS384: { digest: 'sha384', keyTypes: RSA, pssSalt: 48 },
  PS512: { digest: 'sha512', keyTypes: RSA, pssSalt: 64 },
  ES256: { digest: 'sha256', keyTypes: ['ec'], curve: 'prime256v1', signatureBytes: 64 },
  ES384: { digest: 'sha384', keyTypes: ['ec'], curve: 'secp384r1', signatureBytes: 96 },
  ES512: { digest: 'sha512', keyTypes: ['ec'], curve: 'secp521r1', signatureBytes: 132 },
  EdDSA: { digest: null, keyTypes: ['ed25519', 'ed448'] },
};

/** RSA keys shorter than this are refused (as jose and RFC 7518 §3.3 require). */
const MIN_RSA_BITS = 2048;

function invalid(detail: string, cause?: unknown): AuthError {
  return new AuthError('ERR_TOKEN_INVALID', { detail, ...(cause !== undefined ? { cause } : {}) });
}

/** A verification key: the public key and the algorithm it was checked against. */
export interface VerificationKey {
  readonly alg: string;
  readonly key: KeyObject;
}

/** Imports a public JWK for `alg`, refusing keys that do not fit it (type, curve, RSA size, private parts). */
export function importVerificationKey(jwk: Readonly<Record<string, unknown>>, alg: string): VerificationKey {
  const spec = SPECS[alg];
  if (spec === undefined) throw invalid(`alg ${alg} is not supported`);
  if ('d' in jwk) throw invalid('a private key cannot be a verification key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw invalid(`key ${String(jwk['kid'])} is not a usable public key`, cause);
  }
  const type = key.asymmetricKeyType ?? '';
  if (!spec.keyTypes.includes(type)) throw invalid(`key ${String(jwk['kid'])} is ${type}, ${alg} needs ${spec.keyTypes.join(' or ')}`);
  const details = key.asymmetricKeyDetails;
  if (spec.curve !== undefined && details?.namedCurve !== spec.curve) throw invalid(`key ${String(jwk['kid'])} is on ${String(details?.namedCurve)}, ${alg} needs ${spec.curve}`);
  if (type === 'rsa' && (details?.modulusLength ?? 0) < MIN_RSA_BITS) throw invalid(`key ${String(jwk['kid'])} has fewer than ${MIN_RSA_BITS} bits`);
  return { alg, key };
}

/** A compact JWS split and decoded, not yet verified. */
export interface ParsedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly alg: string;
  readonly kid: string | undefined;
  readonly payload: Readonly<Record<string, unknown>>;
  /** `header.payload`, exactly as signed. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

function decodeJson(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (cause) {
    throw invalid(`the ${what} is not base64url JSON`, cause);
  }
  if (!isRecord(value)) throw invalid(`the ${what} is not a JSON object`);
  return value;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Splits and decodes a compact JWS; throws ERR_TOKEN_INVALID for anything that is not one. */
export function parseJwt(token: string): ParsedJwt {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (first <= 0 || last === first || last === token.length - 1) throw invalid('not a compact JWS (three non-empty segments)');
  const h = token.slice(0, first);
  const p = token.slice(first + 1, last);
  const s = token.slice(last + 1);
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SEGMENT.test(s)) throw invalid('a JWS segment is not base64url');
  const header = decodeJson(h, 'JWS header');
  const alg = header['alg'];
  if (typeof alg !== 'string') throw invalid('the JWS header has no alg');
  // No extension keygate understands may be critical (RFC 7515 §4.1.11); b64=false needs crit, so it is refused too.
  if (header['crit'] !== undefined) throw invalid('the JWS header has a crit parameter');
  const kid = header['kid'];
  if (kid !== undefined && typeof kid !== 'string') throw invalid('the JWS header kid is not a string');
  return { header, alg, kid, payload: decodeJson(p, 'JWT payload'), signingInput: token.slice(0, last), signature: Buffer.from(s, 'base64url') };
}

/**
 * Verifies the signature off the event loop: on `workers` when given (batched, see signature-workers.ts), else on
 * libuv's thread pool. Resolves to whether it holds; rejects (ERR_INTERNAL) only when a worker died.
 */
export function verifySignature(jwt: ParsedJwt, vk: VerificationKey, workers?: SignatureWorkers): Promise<boolean> {
  const spec = SPECS[vk.alg];
  if (spec === undefined || vk.alg !== jwt.alg) return Promise.resolve(false);
  if (spec.signatureBytes !== undefined && jwt.signature.length !== spec.signatureBytes) return Promise.resolve(false);
  const key: VerifyKeyObjectInput | KeyObject = spec.pssSalt !== undefined
    ? { key: vk.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pssSalt }
    : spec.signatureBytes !== undefined ? { key: vk.key, dsaEncoding: 'ieee-p1363' } : vk.key;
  if (workers !== undefined) return workers.verify(spec.digest, jwt.signingInput, key, jwt.signature);
  return new Promise((resolve) => {
    try {
      cryptoVerify(spec.digest, Buffer.from(jwt.signingInput, 'latin1'), key, jwt.signature, (err, ok) => resolve(err === null && ok));
    } catch {
      resolve(false);
    }
  });
}

/** What the registered claims are checked against. */
export interface ClaimChecks {
  readonly issuer: string;
  readonly clockToleranceSeconds: number;
  /** Epoch milliseconds. */
  readonly now: number;
}

/** `iss`, `exp` (required; ERR_TOKEN_EXPIRED when past), `nbf`, `iat` and `sub` (when present), as jose's jwtVerify checks them. */
export function checkClaims(payload: Readonly<Record<string, unknown>>, c: ClaimChecks): void {
  if (payload['iss'] !== c.issuer) throw invalid(`iss ${JSON.stringify(payload['iss'] ?? null)} is not the issuer`);
  const now = Math.floor(c.now / 1000);
  const tol = c.clockToleranceSeconds;
  const exp = payload['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('exp is missing or not a number');
  const nbf = payload['nbf'];
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) throw invalid('nbf is not a number');
  const iat = payload['iat'];
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw invalid('iat is not a number');
  const sub = payload['sub'];
  // Absent sub is the caller's to judge (a Keycloak lightweight token has none; verify-token introspects it).
  if (sub !== undefined && (typeof sub !== 'string' || sub === '')) throw invalid('sub is not a non-empty string');
  if (typeof nbf === 'number' && nbf > now + tol) throw invalid('nbf is in the future');
  if (exp <= now - tol) throw new AuthError('ERR_TOKEN_EXPIRED', { detail: 'exp is in the past' });
}
