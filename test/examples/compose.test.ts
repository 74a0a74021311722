/**
 * The examples' compose files (issue #6): each passes `docker-compose config`, refuses to start without its secrets,
 * mounts only files that exist in the repository, publishes Traefik alone, and configures keygate so it would start
 * (validateConfig), trusting only the Traefik container and reading the example's own policy.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { knownVariables } from '../../src/config/keys.js';
import { validateConfig } from '../../src/config/validate.js';
import { formatProblem } from '../../src/util/problems.js';
import { requireBinary } from '../support/proc.js';
import { EXAMPLES, exampleYaml, isRecord, list, record, ROOT, str, type Example } from './support.js';

/** Stand-ins for the secrets each compose file requires from the environment (session secrets >= 32 bytes). */
const STAND_INS: Readonly<Record<string, string>> = {
  KEYCLOAK_ADMIN_PASSWORD: 'stand-in-admin-password',
  KEYGATE_SESSION_SECRETS: 'stand-in-session-secret-0123456789abcdefghijkl',
  PREFECT_DB_PASSWORD: 'stand-in-db-password',
  TEMPORAL_DB_PASSWORD: 'stand-in-db-password',
};

/** A clean environment for docker-compose: no secrets or COMPOSE_* settings leak in from the caller's shell. */
function composeEnv(ex: Example, omit?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' };
  for (const name of ex.requiredEnv) if (name !== omit) env[name] = STAND_INS[name];
  return env;
}

function dockerCompose(bin: string, ex: Example, env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bin, ['-f', 'compose.yml', 'config'], { cwd: ex.dir, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function services(ex: Example): Record<string, Record<string, unknown>> {
  const doc = record(exampleYaml(ex, 'compose.yml'), `examples/${ex.name}/compose.yml`);
  return Object.fromEntries(Object.entries(record(doc['services'], 'services')).map(([k, v]) => [k, record(v, `services.${k}`)]));
}

/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` against `env` (what docker-compose does). */
function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (op === '-') return arg ?? '';
    throw new Error(`${name} is required: ${arg ?? ''}`);
  });
}

/** Host-side sources of the service's bind mounts and build context (relative paths only). */
function hostPaths(svc: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const v of list(svc['volumes'] ?? [], 'volumes')) {
    const source = typeof v === 'string' ? (v.split(':')[0] ?? '') : str(record(v, 'volume')['source'], 'volume source');
    if (source.startsWith('.') || source.startsWith('/')) out.push(source);
  }
  const build = svc['build'];
  if (typeof build === 'string') out.push(build);
  else if (isRecord(build)) {
    const context = str(build['context'] ?? '.', 'build context');
    out.push(context);
    if (build['dockerfile'] !== undefined) out.push(join(context, str(build['dockerfile'], 'dockerfile')));
  }
  return out;
}

describe('the examples\' compose files', () => {
  for (const ex of EXAMPLES) {
    describe(ex.name, () => {
      it('pass docker-compose config', (t) => {
        const bin = requireBinary(t, 'docker-compose');
        if (bin === undefined) return;
        const r = dockerCompose(bin, ex, composeEnv(ex));
        assert.equal(r.status, 0, `docker-compose config failed:\n${r.stderr}`);
        const resolved = record(parse(r.stdout) as unknown, 'docker-compose config output');
        const names = Object.keys(record(resolved['services'], 'services'));
        for (const s of ['traefik', 'keycloak', 'keygate']) assert.ok(names.includes(s), `no ${s} service`);
      });

      it('refuse to start without each of their secrets', (t) => {
        const bin = requireBinary(t, 'docker-compose');
        if (bin === undefined) return;
        for (const name of ex.requiredEnv) {
          const r = dockerCompose(bin, ex, composeEnv(ex, name));
          assert.notEqual(r.status, 0, `docker-compose config passed without ${name}`);
          assert.match(r.stderr, new RegExp(name), `the error does not name ${name}`);
        }
      });

      it('mount only files that exist in the repository', () => {
        for (const [name, svc] of Object.entries(services(ex))) {
          for (const p of hostPaths(svc)) {
            assert.ok(!isAbsolute(p), `${name}: ${p} is an absolute host path; mount files of the example by relative path`);
            const full = join(ex.dir, p);
            assert.ok(!relative(ROOT, full).startsWith('..'), `${name}: ${p} is outside the repository`);
            assert.ok(existsSync(full), `${name}: ${p} does not exist (${relative(ROOT, full)})`);
          }
        }
      });

      it('mount the example\'s policy and realm', () => {
        const all = services(ex);
        const keygate = all['keygate'];
        const keycloak = all['keycloak'];
        assert.ok(keygate !== undefined && keycloak !== undefined);
        assert.ok(hostPaths(keygate).includes('./policy.yaml'), 'keygate does not mount ./policy.yaml');
        assert.ok(hostPaths(keycloak).includes('./realm.json'), 'keycloak does not mount ./realm.json');
        assert.ok(statSync(join(ex.dir, 'policy.yaml')).isFile());
      });

      it('publish Traefik alone', () => {
        for (const [name, svc] of Object.entries(services(ex))) {
          if (name === 'traefik') assert.ok(list(svc['ports'], 'traefik ports').length > 0);
          else assert.equal(svc['ports'], undefined, `${name} publishes ports: everything must go through Traefik and keygate`);
        }
      });

      it('configure keygate so that it starts, trusting only Traefik and reading the mounted policy', () => {
        const all = services(ex);
        const keygate = record(all['keygate'], 'keygate');
        const env = Object.fromEntries(
          Object.entries(record(keygate['environment'], 'keygate environment')).map(([k, v]) => [k, interpolate(String(v), STAND_INS)]),
        );
        const known = new Set(knownVariables());
        for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is not a variable keygate reads`);
        const r = validateConfig({ env, readFile: () => '' });
        assert.deepEqual(r.errors.map(formatProblem), [], 'keygate would refuse to start');
        // The two switches of the plain-http demo, and nothing else; each example's README.md ("Going to production") says how to drop both.
        assert.deepEqual(r.warnings.map((w) => formatProblem(w).split(':')[0]), ['$KEYGATE_ALLOW_INSECURE_ISSUER', '$KEYGATE_COOKIE_SECURE']);
        assert.ok(r.value !== undefined);
        const traefikIp = str(record(record(record(all['traefik'], 'traefik')['networks'], 'traefik networks')['edge'], 'edge')['ipv4_address'], 'traefik ipv4_address');
        assert.deepEqual(r.value.trustedProxies, [`${traefikIp}/32`]);
        const mount = list(keygate['volumes'], 'keygate volumes').map((v) => String(v)).find((v) => v.startsWith('./policy.yaml:'));
        assert.ok(mount !== undefined && mount.split(':')[1] === r.value.policyFile, `KEYGATE_POLICY ${r.value.policyFile} is not where policy.yaml is mounted`);
        assert.ok(r.value.audiences.includes('keygate'), 'bearer tokens must be checked for aud=keygate (the realm\'s audience mapper)');
        assert.equal(r.value.passAccessToken, ex.name === 'temporal-ui', 'passAccessToken: only Temporal checks the token itself');
      });
    });
  }
});
