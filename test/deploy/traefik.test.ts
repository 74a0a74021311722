import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { requireBinary } from '../support/proc.js';
import { assertHeaderSet, assertSessionCookies, assertValid, draft07Validator, isRecord, list, record, rel, requireSchema, ROOT, str, yamlDocument } from './support.js';
import { flagEntries, labelMap, labelsToDynamic, nestFlatKeys, withTraefik37 } from './traefik-keys.js';

const STATIC_SCHEMA = 'traefik-v3.json';
const DYNAMIC_SCHEMA = 'traefik-v3-file-provider.json';
const COMPOSE = 'traefik/docker-compose.labels.yml';
/** The app host and the paths of the shipped example. */
const HOST = 'prefect.example.com';
/** Middlewares that change the path: keygate would decide on one path while the app serves another. */
const PATH_REWRITERS = ['stripPrefix', 'stripPrefixRegex', 'replacePath', 'replacePathRegex', 'addPrefix'];

/**
 * The static schema with its root closed: Traefik refuses unknown static keys ("field not found"), but
 * SchemaStore's root leaves them open, so a misspelt top-level section (`acessLog:`) would pass unnoticed.
 */
function staticValidator(schema: unknown): ReturnType<typeof draft07Validator> {
  return draft07Validator(`${STATIC_SCHEMA} (closed root, Traefik 3.7)`, { ...withTraefik37(schema), additionalProperties: false });
}

/** A Traefik setup to check: its static and dynamic configuration, however they were written down. */
interface Setup {
  readonly name: string;
  readonly static: Record<string, unknown>;
  readonly dynamic: Record<string, unknown>;
}

function compose(): Record<string, unknown> {
  return record(yamlDocument(COMPOSE), COMPOSE);
}

function composeServices(): Record<string, Record<string, unknown>> {
  const services = record(compose()['services'], `${COMPOSE}: services`);
  return Object.fromEntries(Object.entries(services).map(([k, v]) => [k, record(v, `${COMPOSE}: services.${k}`)]));
}

/** The static configuration the compose file's traefik command line builds. */
function composeStatic(schema: unknown): Record<string, unknown> {
  const traefik = composeServices()['traefik'];
  assert.ok(traefik !== undefined, `${COMPOSE} has no traefik service`);
  return nestFlatKeys(flagEntries(list(traefik['command'], 'traefik command').map((a) => str(a, 'flag'))), withTraefik37(schema));
}

/** The dynamic configuration of each compose service's labels. */
function composeDynamic(schema: unknown): Array<{ service: string; config: Record<string, unknown> }> {
  return Object.entries(composeServices())
    .filter(([, svc]) => svc['labels'] !== undefined)
    .map(([service, svc]) => ({ service, config: labelsToDynamic(labelMap(svc['labels']), service, schema) }));
}

/** Both shipped setups, or undefined when a schema is missing (the test is then skipped or failed loudly). */
function setups(t: TestContext): Setup[] | undefined {
  const staticSchema = requireSchema(t, STATIC_SCHEMA);
  const dynamicSchema = requireSchema(t, DYNAMIC_SCHEMA);
  if (staticSchema === undefined || dynamicSchema === undefined) return undefined;
  const labels = composeDynamic(dynamicSchema).filter((d) => Object.keys(d.config).length > 0);
  assert.equal(labels.length, 1, 'exactly one compose service declares the Traefik configuration');
  return [
    { name: 'traefik/traefik.yml + traefik/dynamic/keygate.yml', static: record(yamlDocument('traefik/traefik.yml'), 'static'), dynamic: record(yamlDocument('traefik/dynamic/keygate.yml'), 'dynamic') },
    { name: `${COMPOSE} (flags + labels)`, static: composeStatic(staticSchema), dynamic: labels[0]?.config ?? {} },
  ];
}

function section(config: Record<string, unknown>, ...path: string[]): Record<string, unknown> {
  let cur: unknown = config;
  for (const p of path) cur = isRecord(cur) ? cur[p] : undefined;
  return isRecord(cur) ? cur : {};
}

/** A router's middleware names without the `@provider` suffix. */
function middlewareNames(router: Record<string, unknown>): string[] {
  return list(router['middlewares'] ?? [], 'middlewares').map((m) => str(m, 'middleware').replace(/@[a-z]+$/, ''));
}

describe('traefik: published schemas', () => {
  it('traefik/traefik.yml is a valid static configuration', (t) => {
    const schema = requireSchema(t, STATIC_SCHEMA);
    if (schema === undefined) return;
    assertValid(staticValidator(schema), yamlDocument('traefik/traefik.yml'), 'traefik/traefik.yml');
  });

  it('traefik/dynamic/keygate.yml is a valid file-provider configuration', (t) => {
    const schema = requireSchema(t, DYNAMIC_SCHEMA);
    if (schema === undefined) return;
    assertValid(draft07Validator(DYNAMIC_SCHEMA, schema), yamlDocument('traefik/dynamic/keygate.yml'), 'traefik/dynamic/keygate.yml');
  });

  it(`${COMPOSE}: the traefik command line is a valid static configuration`, (t) => {
    const schema = requireSchema(t, STATIC_SCHEMA);
    if (schema === undefined) return;
    const config = composeStatic(schema);
    assert.ok(Object.keys(section(config, 'entryPoints')).length > 0, 'the command line defines entry points');
    assertValid(staticValidator(schema), config, `${COMPOSE} traefik command`);
  });

  it(`${COMPOSE}: every service's labels are a valid dynamic configuration`, (t) => {
    const schema = requireSchema(t, DYNAMIC_SCHEMA);
    if (schema === undefined) return;
    const all = composeDynamic(schema);
    assert.ok(all.length > 0, 'some service carries labels');
    for (const { service, config } of all) assertValid(draft07Validator(DYNAMIC_SCHEMA, schema), config, `${COMPOSE} services.${service}.labels`);
  });

  it(`${COMPOSE} passes docker-compose config`, (t) => {
    const bin = requireBinary(t, 'docker-compose');
    if (bin === undefined) return;
    execFileSync(bin, ['-f', join(ROOT, COMPOSE), 'config', '-q'], { cwd: join(ROOT, 'traefik'), stdio: ['ignore', 'pipe', 'pipe'] });
  });
});

describe('traefik: keygate in front of the app', () => {
  it('every forwardAuth middleware asks /auth, copies exactly the headers keygate sends, and passes renewed session cookies', (t) => {
    for (const s of setups(t) ?? []) {
      const middlewares = Object.entries(section(s.dynamic, 'http', 'middlewares'));
      const auth = middlewares.filter(([, m]) => isRecord(m) && isRecord(m['forwardAuth']));
      assert.ok(auth.length > 0, `${s.name}: no forwardAuth middleware`);
      for (const [name, m] of auth) {
        const fa = section(record(m, name), 'forwardAuth');
        assert.equal(new URL(str(fa['address'], `${name}.address`)).pathname, '/auth', `${s.name}: ${name} must call keygate's /auth (Traefik sets X-Forwarded-*)`);
        assertHeaderSet(list(fa['authResponseHeaders'], `${name}.authResponseHeaders`).map((h) => str(h, 'header')), `${s.name}: ${name}.authResponseHeaders`);
        assertSessionCookies(list(fa['addAuthCookiesToResponse'], `${name}.addAuthCookiesToResponse`).map((c) => str(c, 'cookie')), `${s.name}: ${name}.addAuthCookiesToResponse`);
      }
    }
  });

  it('trustForwardHeader only behind entry points with an explicit trustedIPs list', (t) => {
    for (const s of setups(t) ?? []) {
      const middlewares = section(s.dynamic, 'http', 'middlewares');
      const entryPoints = section(s.static, 'entryPoints');
      for (const [routerName, r] of Object.entries(section(s.dynamic, 'http', 'routers'))) {
        const router = record(r, routerName);
        const trusting = middlewareNames(router).filter((m) => section(record(middlewares[m] ?? {}, m), 'forwardAuth')['trustForwardHeader'] === true);
        if (trusting.length === 0) continue;
        const eps = list(router['entryPoints'], `${s.name}: router ${routerName} must name its entry points`).map((e) => str(e, 'entry point'));
        for (const ep of eps) {
          const fh = section(entryPoints, ep, 'forwardedHeaders');
          assert.notEqual(fh['insecure'], true, `${s.name}: entry point ${ep} trusts every peer`);
          const ips = list(fh['trustedIPs'] ?? [], 'trustedIPs').map((ip) => str(ip, 'trusted IP'));
          assert.ok(ips.length > 0, `${s.name}: ${trusting.join(', ')} trusts forwarded headers, but entry point ${ep} has no forwardedHeaders.trustedIPs`);
          for (const ip of ips) assert.ok(!/^(0\.0\.0\.0|::)\/0$/.test(ip), `${s.name}: entry point ${ep} trusts ${ip}, i.e. everyone`);
        }
      }
    }
  });

  it(`routes the UI and /api of ${HOST} through keygate, with TLS, and never rewrites the path`, (t) => {
    for (const s of setups(t) ?? []) {
      const middlewares = section(s.dynamic, 'http', 'middlewares');
      const routers = Object.entries(section(s.dynamic, 'http', 'routers')).map(([n, r]) => [n, record(r, n)] as const);
      const rules = routers.map(([, r]) => str(r['rule'], 'rule'));
      assert.ok(rules.includes(`Host(\`${HOST}\`)`), `${s.name}: no router for the whole host (UI)`);
      assert.ok(rules.includes(`Host(\`${HOST}\`) && PathPrefix(\`/api\`)`), `${s.name}: no router for /api`);
      for (const [name, router] of routers) {
        const chain = middlewareNames(router);
        assert.ok(chain.some((m) => section(record(middlewares[m] ?? {}, m), 'forwardAuth')['address'] !== undefined), `${s.name}: router ${name} bypasses keygate`);
        assert.ok(isRecord(router['tls']), `${s.name}: router ${name} serves without TLS`);
      }
      for (const [name, m] of Object.entries(middlewares)) {
        const kinds = Object.keys(record(m, name));
        for (const k of kinds) assert.ok(!PATH_REWRITERS.includes(k), `${s.name}: middleware ${name} (${k}) rewrites the path keygate decided on`);
      }
    }
  });

  it('the compose labels declare what traefik/dynamic/keygate.yml declares', (t) => {
    const all = setups(t);
    if (all === undefined) return;
    const [file = all[0], labels = all[1]] = all;
    assert.ok(file !== undefined && labels !== undefined);
    assert.deepEqual(section(labels.dynamic, 'http', 'middlewares'), section(file.dynamic, 'http', 'middlewares'));
    const rulesOf = (d: Record<string, unknown>): string[] => Object.values(section(d, 'http', 'routers')).map((r) => str(record(r, 'router')['rule'], 'rule')).sort();
    assert.deepEqual(rulesOf(labels.dynamic), rulesOf(file.dynamic));
  });

  it('every entry point drops alias headers (X_Auth_User), and websecure refuses the encoded characters keygate refuses', (t) => {
    for (const s of setups(t) ?? []) {
      const entryPoints = Object.entries(section(s.static, 'entryPoints'));
      assert.ok(entryPoints.length > 0, `${s.name}: no entry points`);
      for (const [name] of entryPoints) {
        assert.equal(section(s.static, 'entryPoints', name, 'http')['aliasHeadersStrategy'], 'delete', `${s.name}: entry point ${name} forwards X_Auth_User-style aliases of the identity headers`);
      }
      assert.deepEqual(section(s.static, 'entryPoints', 'websecure', 'http', 'encodedCharacters'), {
        allowEncodedSlash: false, allowEncodedBackSlash: false, allowEncodedNullCharacter: false,
        allowEncodedSemicolon: true, allowEncodedPercent: true, allowEncodedQuestionMark: true, allowEncodedHash: true,
      }, `${s.name}: websecure encodedCharacters`);
    }
  });

  it('the compose flags configure the entry points as traefik/traefik.yml does (ACME aside)', (t) => {
    const all = setups(t);
    if (all === undefined) return;
    const [file, flags] = all;
    assert.ok(file !== undefined && flags !== undefined);
    const eps = (c: Record<string, unknown>): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const [name, ep] of Object.entries(section(c, 'entryPoints'))) {
        const { http, ...rest } = record(ep, name);
        // The file's websecure serves `tls: {}`; the compose file names its resolver on each router instead.
        const { tls: _tls, ...httpRest } = isRecord(http) ? http : {};
        out[name] = { ...rest, http: httpRest };
      }
      return out;
    };
    assert.deepEqual(eps(flags.static), eps(file.static));
  });

  it('the forwardAuth answer body is bounded (maxResponseBodySize)', (t) => {
    for (const s of setups(t) ?? []) {
      for (const [name, m] of Object.entries(section(s.dynamic, 'http', 'middlewares'))) {
        const fa = section(record(m, name), 'forwardAuth');
        if (Object.keys(fa).length === 0) continue;
        const max = fa['maxResponseBodySize'];
        assert.ok(typeof max === 'number' && max > 0 && max <= 1 << 20, `${s.name}: ${name}.maxResponseBodySize must be a small positive limit, got ${String(max)}`);
      }
    }
  });

  it('the access log never records request headers', () => {
    const log = section(record(yamlDocument('traefik/traefik.yml'), 'static'), 'accessLog', 'fields', 'headers');
    assert.equal(log['defaultMode'], 'drop', `${rel(join(ROOT, 'traefik/traefik.yml'))}: headers carry Authorization and session cookies`);
  });
});
