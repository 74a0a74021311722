/**
 * The examples' Traefik files: valid against SchemaStore's Traefik v3 schemas (vendored in ../shared/schemas), and
 * wired the way issue #6 asks: the UI router and the /api router of the app both carry keygate's forwardAuth, no
 * middleware rewrites the path, the identity headers (and Authorization only for Temporal) replace client copies.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import { DEFAULT_HEADERS } from '../../src/config/session-settings.js';
import { skipLoudly } from '../support/proc.js';
import { EXAMPLES, exampleYaml, isRecord, list, record, ROOT, str, type Example, examplePolicy } from './support.js';
import { withTraefik37 } from '../deploy/traefik-keys.js';
import { upstreamHeaderNames } from '../../src/cli/proxy-headers.js';

const SCHEMA_DIR = join(ROOT, '..', 'shared', 'schemas');
/** Middlewares that change the path: keygate would decide on one path while the app serves another. */
const PATH_REWRITERS = ['stripPrefix', 'stripPrefixRegex', 'replacePath', 'replacePathRegex', 'addPrefix'];

/** A vendored schema; missing means a loud skip, or a failure under E2E_REQUIRED=1, never a silent pass. */
function schemaValidator(t: TestContext, name: string, closeRoot: boolean): ValidateFunction | undefined {
  const file = join(SCHEMA_DIR, name);
  if (!existsSync(file)) {
    skipLoudly(t, `schema ${file} is missing (shared/schemas/ must sit beside the checkout); this validation cannot run`);
    return undefined;
  }
  const schema = record(JSON.parse(readFileSync(file, 'utf8')) as unknown, name);
  // Traefik refuses unknown static keys, but SchemaStore leaves the static root open: close it (and add the 3.7
  // entry-point option the schema lacks).
  return new Ajv({ strict: true, allErrors: true }).compile((closeRoot ? { ...withTraefik37(schema), additionalProperties: false } : schema) as AnySchema);
}

function assertValid(validate: ValidateFunction, value: unknown, what: string): void {
  const ok = validate(value);
  const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
  assert.ok(ok, `${what} does not match its schema:\n${errors.join('\n')}`);
}

function dynamic(ex: Example): Record<string, unknown> {
  return record(record(exampleYaml(ex, 'traefik/dynamic.yml'), 'dynamic.yml')['http'], 'dynamic.yml http');
}

describe('the examples\' Traefik configuration', () => {
  for (const ex of EXAMPLES) {
    describe(ex.name, () => {
      it('static and dynamic files match the Traefik v3 schemas', (t) => {
        const st = schemaValidator(t, 'traefik-v3.json', true);
        const dy = schemaValidator(t, 'traefik-v3-file-provider.json', false);
        if (st === undefined || dy === undefined) return;
        assertValid(st, exampleYaml(ex, 'traefik/traefik.yml'), `examples/${ex.name}/traefik/traefik.yml`);
        assertValid(dy, exampleYaml(ex, 'traefik/dynamic.yml'), `examples/${ex.name}/traefik/dynamic.yml`);
      });

      it('puts keygate on the UI router and on the /api router, without rewriting the path', () => {
        const http = dynamic(ex);
        const middlewares = record(http['middlewares'], 'middlewares');
        const routers = Object.entries(record(http['routers'], 'routers')).map(([name, r]) => [name, record(r, name)] as const);
        const appRouters = routers.filter(([, r]) => str(r['rule'], 'rule').includes(`Host(\`${ex.host}\`)`));
        const ui = appRouters.find(([, r]) => str(r['rule'], 'rule') === `Host(\`${ex.host}\`)`);
        const api = appRouters.find(([, r]) => str(r['rule'], 'rule') === `Host(\`${ex.host}\`) && PathPrefix(\`/api\`)`);
        assert.ok(ui !== undefined, `no router for the whole of ${ex.host}`);
        assert.ok(api !== undefined, `no router for ${ex.host}/api`);
        for (const [name, r] of appRouters) {
          const used = list(r['middlewares'], `${name} middlewares`).map((m) => str(m, 'middleware'));
          assert.ok(used.includes('keygate'), `router ${name} does not use keygate`);
          for (const m of used) {
            const def = record(middlewares[m], `middleware ${m}`);
            for (const kind of PATH_REWRITERS) assert.equal(def[kind], undefined, `router ${name} rewrites the path with ${kind}`);
          }
          assert.equal(r['service'], record(ui[1], 'ui router')['service'], `router ${name} must send to the app's service`);
        }
      });

      it('forwards to keygate\'s /auth and copies exactly keygate\'s headers', () => {
        const fa = record(record(record(dynamic(ex)['middlewares'], 'middlewares')['keygate'], 'keygate')['forwardAuth'], 'forwardAuth');
        assert.equal(fa['address'], 'http://keygate:4181/auth');
        // No trusted-IP list in front of Traefik here, so Traefik must set X-Forwarded-* itself.
        assert.equal(fa['trustForwardHeader'], false);
        const headers = list(fa['authResponseHeaders'], 'authResponseHeaders').map((h) => str(h, 'header'));
        // keygate's identity headers, the access token where the example passes it, and the rules' upstream headers.
        const want = [...Object.values(DEFAULT_HEADERS), ...(ex.name === 'temporal-ui' ? ['Authorization'] : []), ...upstreamHeaderNames(examplePolicy(ex))];
        assert.deepEqual(headers, want);
        const cookies = list(fa['addAuthCookiesToResponse'], 'addAuthCookiesToResponse');
        assert.ok(cookies.includes('keygate'), 'a refreshed session cookie would not reach the browser');
      });

      it('keeps Keycloak off keygate (it is the sign-in page)', () => {
        const routers = record(dynamic(ex)['routers'], 'routers');
        const keycloak = Object.values(routers).map((r) => record(r, 'router')).find((r) => str(r['rule'], 'rule').includes('keycloak.example.com'));
        assert.ok(keycloak !== undefined && isRecord(keycloak));
        assert.equal(keycloak['middlewares'], undefined);
      });
    });
  }
});
