/** Bench set-up: the look-alike IdP (in the harness process), tokens and policy files, and the server processes. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeycloakLookalike } from '../dev/idp/index.js';
import { startTestIdp } from '../test/support/idp.js';
import { testEnv } from '../test/support/keygate.js';
import { freePort } from './caddy.js';
import { largePolicy, largeTargets, middlePolicy, middleTargets, MIDDLE_HOST, targetLines } from './policies.js';
import { startNodeServer, startProc, waitForStatus, type BenchProc } from './procs.js';
import type { BenchFiles } from './scenarios.js';
import { OTHER_ROLE, benchUsers, captureSigningKey, mintPerUser, mintToFile, payloadOf } from './tokens.js';

/** Distinct tokens per memory phase: set A's first 100k (memory phase 1), then set B (phase 2). */
export const COLD_SET_SIZE = 100_000;

/** Set A also feeds the cold run (1 s warm-up + the measured run), so it grows with BENCH_DURATION: 40k tokens/s of load. */
export function coldSetASize(seconds: number): number {
  return Math.max(COLD_SET_SIZE, Math.ceil((seconds + 1) * 40_000));
}

/** keygate's log level in the bench: info (one audit line per decision, as in production), stdout to /dev/null. */
export const KEYGATE_LOG_LEVEL = process.env['BENCH_LOG_LEVEL'] ?? 'info';

/** The IdP and every input file. */
export interface Prepared {
  readonly idp: KeycloakLookalike;
  readonly dir: string;
  readonly files: BenchFiles;
  readonly mintSeconds: number;
  /** Tokens in set A (0 when no cold tokens were minted). */
  readonly coldASize: number;
}

/** Starts the IdP, mints tokens (warm and deny by the IdP; cold sets A and B with its key, unless `coldA` is 0) and writes the input files. */
export async function prepare(coldA: number): Promise<Prepared> {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-bench-'));
  const idp = await startTestIdp({ audience: ['keygate'], extraUsers: benchUsers(), accessTokenTtlSeconds: 3600 });
  const warm = await mintPerUser(idp);
  const deny = await mintPerUser(idp, [OTHER_ROLE]);
  const signer = await captureSigningKey(idp);
  const files: BenchFiles = {
    warmTokens: join(dir, 'warm.txt'), denyTokens: join(dir, 'deny.txt'), coldA: join(dir, 'cold-a.txt'), coldB: join(dir, 'cold-b.txt'),
    middleTargets: join(dir, 'middle-targets.txt'), largeTargets: join(dir, 'large-targets.txt'), jwks: join(dir, 'jwks.json'),
  };
  writeFileSync(files.warmTokens, `${warm.join('\n')}\n`);
  writeFileSync(files.denyTokens, `${deny.join('\n')}\n`);
  writeFileSync(files.middleTargets, targetLines(middleTargets()));
  writeFileSync(files.largeTargets, targetLines(largeTargets(1000, 4000)));
  writeFileSync(files.jwks, JSON.stringify(idp.publicJwks()));
  const t0 = performance.now();
  const templates = warm.map(payloadOf);
  if (coldA > 0) {
    await mintToFile(files.coldA, signer, templates, coldA);
    await mintToFile(files.coldB, signer, templates, COLD_SET_SIZE);
  }
  return { idp, dir, files, mintSeconds: (performance.now() - t0) / 1000, coldASize: coldA };
}

/** A running server process and its base URL. */
export interface Server {
  readonly url: string;
  readonly port: number;
  readonly proc: BenchProc;
}

/** Starts a bare baseline process (`auth`, `upstream`, or `jose` with the JWKS file and issuer). */
export async function startBare(mode: 'auth' | 'upstream' | 'jose', args: readonly string[] = []): Promise<Server> {
  const { proc, port } = await startNodeServer(`bare-${mode}`, 'bare-server.js', [mode, ...args]);
  return { url: `http://127.0.0.1:${port}`, port, proc };
}

/** Starts `keygate serve` in its own process with `policy` (YAML), configured from the environment; waits for /readyz. */
export async function startKeygate(name: string, prep: Prepared, policy: string, profileDir?: string, extraEnv: Readonly<Record<string, string>> = {}): Promise<Server> {
  const policyFile = join(prep.dir, `${name}.yaml`);
  writeFileSync(policyFile, policy);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    ...testEnv(prep.idp.issuer, policyFile, port, {
      KEYGATE_LOG_LEVEL: KEYGATE_LOG_LEVEL,
      KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32',
      // Auth-host mode for the session scenario's logins (harmless for bearer requests).
      KEYGATE_PUBLIC_URL: url,
      KEYGATE_REDIRECT_HOSTS: MIDDLE_HOST,
      ...extraEnv,
    }),
  };
  const script = new URL('./keygate-server.js', import.meta.url).pathname;
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}.cpuprofile`];
  // stdout (the JSON log) goes to /dev/null: the logger's work is measured, a pipe's backpressure is not.
  const proc = startProc(name, process.execPath, [...nodeArgs, script], { env });
  await waitForStatus(`${url}/readyz`, 200, proc, 20_000);
  return { url, port, proc };
}

/** Policies the bench serves. */
export const POLICIES = { middle: middlePolicy, large: () => largePolicy(1000) } as const;
