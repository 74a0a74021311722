/**
 * Sealing what cookies carry: deflate, then JWE (`dir` + A256GCM) with jose. The contents are encrypted and
 * authenticated, so tokens and claims are never readable from a cookie and one flipped byte makes it worthless.
 * Secrets are a list: the first seals, all of them open (rotation without signing everyone out).
 */
import { createHash, hkdfSync } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CompactEncrypt, compactDecrypt } from 'jose';

/** A key derived from one session secret, with the short id written into each sealed value's header. */
interface SealKey {
  readonly kid: string;
  readonly key: Uint8Array;
}

/** Seals and opens JSON values with keys derived from the session secrets. */
export class Sealer {
  readonly #keys: readonly SealKey[];
  readonly #byKid: ReadonlyMap<string, SealKey>;

  /** `purpose` separates key spaces (session cookie vs login transaction), so one can never be replayed as the other. */
  constructor(secrets: readonly string[], purpose: string) {
    if (secrets.length === 0) throw new Error('at least one session secret is required');
    this.#keys = secrets.map((s) => {
      const key = new Uint8Array(hkdfSync('sha256', s, 'keygate', `keygate ${purpose} v1`, 32));
      return { key, kid: createHash('sha256').update(key).digest('base64url').slice(0, 8) };
    });
    this.#byKid = new Map(this.#keys.map((k) => [k.kid, k]));
  }

  /** Seals a JSON-serialisable value with the first key. */
  async seal(value: unknown): Promise<string> {
    const first = this.#keys[0];
    if (first === undefined) throw new Error('no sealing key');
    const plain = deflateRawSync(Buffer.from(JSON.stringify(value)));
    return new CompactEncrypt(plain).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: first.kid }).encrypt(first.key);
  }

  /** Opens a sealed value with the key its header names; undefined when it is malformed, tampered or from an unknown key. */
  async open(sealed: string): Promise<unknown> {
    try {
      const header = JSON.parse(Buffer.from(sealed.slice(0, sealed.indexOf('.')), 'base64url').toString()) as { kid?: unknown };
      const k = typeof header.kid === 'string' ? this.#byKid.get(header.kid) : undefined;
      if (k === undefined) return undefined;
      const { plaintext } = await compactDecrypt(sealed, k.key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
      return JSON.parse(inflateRawSync(plaintext, { maxOutputLength: 64 * 1024 }).toString()) as unknown;
    } catch {
      return undefined;
    }
  }
}
