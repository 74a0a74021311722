/** Where scripts/real-systems.sh put the real programs, and the versions it pinned (scripts/versions.env). */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { skipLoudly } from './proc.js';
import { ROOT } from './proxies.js';

/** The pinned versions from scripts/versions.env. */
export function pinnedVersions(): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'scripts/versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m !== null && m[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

/** The cache folder outside the repository that holds downloads and unpacked programs. */
export function cacheDir(): string {
  return process.env['KEYGATE_CACHE'] ?? join(homedir(), '.cache', 'keygate');
}

/** Keycloak's unpacked distribution and the JDK that runs it, or undefined when not installed. */
export function keycloakInstall(): { home: string; javaHome: string; version: string } | undefined {
  const v = pinnedVersions();
  const version = v['KEYCLOAK_VERSION'] ?? '';
  const javaHome = v['KEYCLOAK_JAVA_HOME'] ?? '';
  const home = join(cacheDir(), `keycloak-${version}`);
  if (!existsSync(join(home, 'bin/kc.sh')) || !existsSync(join(javaHome, 'bin/java'))) return undefined;
  return { home, javaHome, version };
}

/** Where each real program lives once installed: the virtualenv for PyPI wheels, the cache for Go builds. */
const LOCATIONS: Readonly<Record<string, () => string>> = {
  traefik: () => join(ROOT, '.venv/bin/traefik'),
  'caddy-2.11': () => join(ROOT, '.venv/bin/caddy'),
  temporal: () => join(ROOT, '.venv/bin/temporal'),
  prefect: () => join(ROOT, '.venv/bin/prefect'),
  'moto_server': () => join(ROOT, '.venv/bin/moto_server'),
  kubectl: () => join(ROOT, '.venv/bin/kubectl'),
  prometheus: () => join(cacheDir(), 'go/bin/prometheus'),
  promtool: () => join(cacheDir(), 'go/bin/promtool'),
  helm: () => join(cacheDir(), 'go/bin/helm'),
  'oauth2-proxy': () => join(cacheDir(), 'go/bin/oauth2-proxy'),
  otelcol: () => join(cacheDir(), 'otelcol/keygate-otelcol'),
};

/** Name of a real program that scripts/real-systems.sh installs. */
export type RealProgram = 'traefik' | 'caddy-2.11' | 'temporal' | 'prefect' | 'moto_server' | 'kubectl' | 'prometheus' | 'promtool' | 'helm' | 'oauth2-proxy' | 'otelcol';

/** Path of an installed real program, or undefined. */
export function realProgram(name: RealProgram): string | undefined {
  const p = LOCATIONS[name]?.();
  return p !== undefined && existsSync(p) ? p : undefined;
}

/** The program's path; when missing, skipLoudly (a failure under E2E_REQUIRED=1). */
export function requireReal(t: TestContext, name: RealProgram): string | undefined {
  const p = realProgram(name);
  if (p === undefined) skipLoudly(t, `${name} is not installed: run \`bash scripts/real-systems.sh\` (versions in scripts/versions.env)`);
  return p;
}
