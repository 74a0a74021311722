/** The look-alike's keys: RSA signing keys (current first) and one RSA `enc` key, as Keycloak publishes. */

import { createPrivateKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

import type { PublicJwk } from './types.js';

const generateRsa = promisify(generateKeyPair);

/** A private RSA JWK with its id, use and algorithm. */
export interface PrivateRsaJwk {
  readonly kty: 'RSA';
  readonly kid: string;
  readonly use: 'sig' | 'enc';
  readonly alg: 'RS256' | 'RSA-OAEP';
  readonly n: string;
  readonly e: string;
  readonly d: string;
  readonly p: string;
  readonly q: string;
  readonly dp: string;
  readonly dq: string;
  readonly qi: string;
}

/** Generates a 2048-bit RSA key as a private JWK with a Keycloak-like random kid. */
export async function generateRsaJwk(use: 'sig' | 'enc'): Promise<PrivateRsaJwk> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const parts = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi];
  const [n, e, d, p, q, dp, dq, qi] = parts;
  if (n === undefined || e === undefined || d === undefined || p === undefined
    || q === undefined || dp === undefined || dq === undefined || qi === undefined) {
    throw new Error('node:crypto exported an RSA private JWK without all its members');
  }
  return {
    kty: 'RSA', kid: randomBytes(32).toString('base64url'), use, alg: use === 'sig' ? 'RS256' : 'RSA-OAEP',
    n, e, d, p, q, dp, dq, qi,
  };
}

/** The public half of a JWK, as published at `/certs`. */
export function toPublicJwk(jwk: PrivateRsaJwk): PublicJwk {
  return { kty: jwk.kty, kid: jwk.kid, use: jwk.use, alg: jwk.alg, n: jwk.n, e: jwk.e };
}

/** Signing keys (the first one signs) and the encryption key; lives as long as the look-alike. */
export class KeyRing {
  #signing: PrivateRsaJwk[];
  readonly #encryption: PrivateRsaJwk;

  private constructor(signing: PrivateRsaJwk, encryption: PrivateRsaJwk) {
    this.#signing = [signing];
    this.#encryption = encryption;
  }

  /** Generates a fresh signing key and encryption key. */
  static async generate(): Promise<KeyRing> {
    const [signing, encryption] = await Promise.all([generateRsaJwk('sig'), generateRsaJwk('enc')]);
    return new KeyRing(signing, encryption);
  }

  /** The key that signs new tokens. */
  get current(): PrivateRsaJwk {
    const [current] = this.#signing;
    if (current === undefined) throw new Error('invariant: the key ring always holds a signing key');
    return current;
  }

  /** The current signing key as a KeyObject, for jose. */
  currentKeyObject(): KeyObject {
    return createPrivateKey({ key: { ...this.current }, format: 'jwk' });
  }

  /** Private signing keys for the provider's keystore, current first (the `enc` key is only published). */
  privateSigningJwks(): { keys: PrivateRsaJwk[] } {
    return { keys: this.#signing.map((key) => ({ ...key })) };
  }

  /** The published JWKS: signing keys and the `enc` key. */
  publicJwks(): { keys: PublicJwk[] } {
    return { keys: [...this.#signing, this.#encryption].map(toPublicJwk) };
  }

  /** Only the public signing keys, for verifying our own tokens. */
  publicSigningJwks(): { keys: PublicJwk[] } {
    return { keys: this.#signing.map(toPublicJwk) };
  }

  /** Puts a new signing key first; the old ones are dropped unless keepOld. */
  async rotate(keepOld: boolean): Promise<void> {
    const next = await generateRsaJwk('sig');
    this.#signing = keepOld ? [next, ...this.#signing] : [next];
  }
}
