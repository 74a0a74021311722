/**
 * Tokens for the bench. Warm and deny tokens come from the look-alike's own mintAccessToken. The 200k cold tokens
 * are signed with node:crypto in worker threads, with the look-alike's current signing key and payloads copied
 * from look-alike tokens (only jti, iat and exp differ), so keygate sees exactly what the IdP would issue.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KeycloakLookalike, LookalikeUser } from '../dev/idp/index.js';
import type { MintJob } from './mint-worker.js';

/** Realm role every bench rule accepts. */
export const READER_ROLE = 'bench-reader';
/** A role no bench rule accepts (deny scenario). */
export const OTHER_ROLE = 'bench-other';
/** How many distinct users (and warm tokens, and sessions). */
export const USER_COUNT = 50;

/** The 50 bench users: password = username, role bench-reader, one group. */
export function benchUsers(): LookalikeUser[] {
  return Array.from({ length: USER_COUNT }, (_, i) => {
    const n = String(i).padStart(2, '0');
    return { username: `bench-user-${n}`, password: `bench-user-${n}`, email: `bench-user-${n}@bench.test`, name: `Bench User ${n}`, realmRoles: [READER_ROLE], groups: ['/bench/team'] };
  });
}

/** One look-alike token per bench user; `roles` replaces the realm roles (deny tokens). */
export async function mintPerUser(idp: KeycloakLookalike, roles?: readonly string[]): Promise<string[]> {
  const overrides = roles === undefined ? {} : { realm_access: { roles: [...roles] } };
  return Promise.all(benchUsers().map((u) => idp.mintAccessToken(overrides, { user: u.username })));
}

/** The payload of a JWT (no verification: only used as a template for the look-alike's own claims). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * The look-alike's current private signing key. Its test controls only sign (mintAccessToken), so the key is
 * taken as the look-alike creates it for one signature (node:crypto's createPrivateKey, wrapped for one call),
 * then checked against the published JWKS before use.
 * A `signingKey()` test control on the look-alike would make this wrapper unnecessary.
 */
export async function captureSigningKey(idp: KeycloakLookalike): Promise<{ key: KeyObject; kid: string }> {
  const require = createRequire(import.meta.url);
  const crypto = require('node:crypto') as { createPrivateKey: (...args: unknown[]) => KeyObject };
  const original = crypto.createPrivateKey;
  let captured: KeyObject | undefined;
  crypto.createPrivateKey = (...args: unknown[]): KeyObject => {
    const k = original(...args);
    if (k.asymmetricKeyType === 'rsa') captured = k;
    return k;
  };
  syncBuiltinESMExports();
  try {
    await idp.mintAccessToken();
  } finally {
    crypto.createPrivateKey = original;
    syncBuiltinESMExports();
  }
  const kid = idp.currentKid();
  const jwk = idp.publicJwks().keys.find((k) => k.kid === kid && k.use === 'sig');
  if (captured === undefined || jwk === undefined) throw new Error('could not obtain the look-alike signing key');
  const probe = Buffer.from('keygate-bench');
  const signature = sign('sha256', probe, captured);
  if (!verify('sha256', probe, createPublicKey({ key: { ...jwk }, format: 'jwk' }), signature)) throw new Error(`captured key does not match the published key ${kid}`);
  return { key: captured, kid };
}

/** Signs `count` distinct tokens from `templates` in worker threads (one per core) and writes them to `file`, one per line. */
export async function mintToFile(file: string, signer: { key: KeyObject; kid: string }, templates: readonly Record<string, unknown>[], count: number): Promise<void> {
  const workers = Math.max(1, cpus().length);
  const pkcs8 = signer.key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const per = Math.ceil(count / workers);
  const chunks = await Promise.all(Array.from({ length: workers }, (_, i) => {
    const job: MintJob = { pkcs8, kid: signer.kid, templates, count: Math.min(per, count - i * per), lifetimeSeconds: 3600 };
    return runWorker(job);
  }));
  writeFileSync(file, `${chunks.filter((c) => c !== '').join('\n')}\n`);
}

function runWorker(job: MintJob): Promise<string> {
  if (job.count <= 0) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./mint-worker.js', import.meta.url), { workerData: job });
    w.once('message', (m: string) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`mint worker exited with ${code}`)); });
  });
}
