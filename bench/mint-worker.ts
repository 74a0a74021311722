/**
 * Worker thread: signs RS256 access tokens with node:crypto directly (no jose), from Keycloak-shaped payload
 * templates taken from tokens the look-alike minted. Each token gets a fresh jti, so every one is distinct.
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

/** What the parent sends. */
export interface MintJob {
  readonly pkcs8: string;
  readonly kid: string;
  readonly templates: readonly Record<string, unknown>[];
  readonly count: number;
  readonly lifetimeSeconds: number;
}

const job = workerData as MintJob;
const key = createPrivateKey(job.pkcs8);
const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: job.kid })).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const out: string[] = [];
for (let i = 0; i < job.count; i++) {
  const template = job.templates[i % job.templates.length] ?? {};
  const payload = { ...template, exp: now + job.lifetimeSeconds, iat: now, jti: randomUUID() };
  const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  out.push(`${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`);
}
parentPort?.postMessage(out.join('\n'));
