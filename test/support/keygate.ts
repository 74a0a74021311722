/** Starts a real keygate (in-process, real HTTP) against a running Keycloak look-alike. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/validate.js';
import type { Config } from '../../src/config/types.js';
import { startService, type Service, type ServiceOptions } from '../../src/main.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { formatProblem } from '../../src/util/problems.js';
import { createLogger } from '../../src/util/log.js';
import { freePort, tempDir } from './proc.js';

/** A running keygate for tests. */
export interface TestKeygate {
  readonly service: Service;
  readonly url: string;
  readonly config: Config;
  readonly policyFile: string;
  /** Parsed JSON log lines written so far. */
  logs(): Array<Record<string, unknown>>;
  /** Sends a Traefik-style forward-auth subrequest for `method uri` on `host`. */
  auth(method: string, host: string, uri: string, headers?: Record<string, string>): Promise<Response>;
  /** The /metrics text. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

/** Environment for a test keygate against `issuer`; override any variable. */
export function testEnv(issuer: string, policyFile: string, port: number, over: Record<string, string> = {}): Record<string, string> {
  return {
    KEYGATE_ISSUER: issuer,
    KEYGATE_CLIENT_ID: 'keygate',
    KEYGATE_CLIENT_SECRET: 'keygate-secret',
    KEYGATE_AUDIENCES: 'keygate',
    KEYGATE_AUTHORIZED_PARTIES: 'keygate,ci-runner,ci-reader',
    KEYGATE_SESSION_SECRETS: 'test-session-secret-0123456789abcdef',
    KEYGATE_POLICY: policyFile,
    KEYGATE_PORT: String(port),
    KEYGATE_HOST: '127.0.0.1',
    KEYGATE_ALLOW_INSECURE_ISSUER: 'true',
    KEYGATE_COOKIE_SECURE: 'false',
    KEYGATE_LOG_LEVEL: 'debug',
    ...over,
  };
}

/** Builds a validated Config from an environment, failing loudly on any problem. */
export function configFrom(env: Record<string, string>): Config {
  const r = validateConfig({ env, readFile: (p) => readFileSync(p, 'utf8') });
  if (r.value === undefined || r.errors.length > 0) throw new Error(`test config invalid:\n${r.errors.map(formatProblem).join('\n')}`);
  return r.value;
}

/** Starts keygate with `policy` (YAML text) against `issuer`. */
export async function startKeygate(issuer: string, policy: string, opts: { env?: Record<string, string>; service?: ServiceOptions } = {}): Promise<TestKeygate> {
  const dir = tempDir('keygate-it-');
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, policy);
  const config = configFrom(testEnv(issuer, policyFile, await freePort(), opts.env));
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (chunk) => lines.push(...chunk.split('\n').filter((l) => l !== '')) });
  const service = await startService(config, { log, metrics: createMetrics({ defaultMetrics: false }), keycloak: { jwksCooldownMs: 0, discoveryRetryMs: 200 }, ...opts.service });
  const url = service.url;
  return {
    service, url, config, policyFile,
    logs: () => {
      log.flush();
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    auth: (method, host, uri, headers = {}) => fetch(`${url}/auth`, {
      headers: { 'x-forwarded-method': method, 'x-forwarded-proto': 'https', 'x-forwarded-host': host, 'x-forwarded-uri': uri, ...headers },
      redirect: 'manual',
    }),
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    close: () => service.close(),
  };
}

/** Value of a counter sample in Prometheus text, matching all given labels (0 when absent). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total += Number(m[3]);
  }
  return total;
}
