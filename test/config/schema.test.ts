import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { allowedKeys, SECTIONS } from '../../src/config/keys.js';
import { isRecord } from '../../src/config/source.js';
import type { Config } from '../../src/config/types.js';
import { errorsOf, run, valueOf, warningsOf } from './support.js';

// Compiled to dist/test/config/; the repository root is three levels up.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'config.schema.json'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

/** Every YAML file under examples/ whose top level is a keygate config (has `issuer` or `policyFile`). */
function exampleConfigs(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) {
        let doc: unknown;
        try {
          doc = parse(readFileSync(p, 'utf8'));
        } catch {
          continue; // not ours to judge here
        }
        if (isRecord(doc) && ('issuer' in doc || 'policyFile' in doc)) out.push(p);
      }
    }
  };
  walk(join(ROOT, 'examples'));
  return out.sort();
}

/** Secrets the examples leave to the environment. */
const SECRETS_ENV = { KEYGATE_CLIENT_SECRET: 'example-client-secret', KEYGATE_SESSION_SECRETS: 'example-session-secret-0123456789abcdef' };

describe('config schema: shipped examples', () => {
  const files = exampleConfigs();

  it('finds the shipped examples', () => {
    const names = files.map((f) => relative(ROOT, f));
    assert.ok(names.includes(join('examples', 'config', 'keygate.yaml')), names.join(', '));
    assert.ok(names.includes(join('examples', 'config', 'minimal.yaml')), names.join(', '));
  });

  for (const file of files) {
    const name = relative(ROOT, file);
    it(`${name} validates against the schema`, () => {
      const ok = validate(parse(readFileSync(file, 'utf8')));
      assert.ok(ok, JSON.stringify(validate.errors, null, 2));
    });
    it(`${name} passes validateConfig`, () => {
      const r = run({ yaml: readFileSync(file, 'utf8'), file: name, bare: true, env: SECRETS_ENV });
      assert.deepEqual(errorsOf(r), []);
      // The production examples carry no warnings; a local demo elsewhere may (e.g. cookie.secure: false).
      if (name.startsWith(join('examples', 'config'))) assert.deepEqual(warningsOf(r), []);
    });
  }

});

describe('config schema: a broken file', () => {
  it('rejects the broken fixture in the schema and in validateConfig, with every mistake', () => {
    const text = readFileSync(join(ROOT, 'test', 'config', 'fixtures', 'broken.yaml'), 'utf8');
    assert.equal(validate(parse(text)), false);
    const schemaErrors = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`).sort();
    assert.deepEqual(schemaErrors, [
      ' must NOT have additional properties',
      '/algorithms/1 must be equal to one of the allowed values',
      '/cookie/secure must be boolean',
      '/logLevel must be equal to one of the allowed values',
      '/port must be integer',
    ]);
    const r = run({ yaml: text, file: 'broken.yaml', bare: true, env: SECRETS_ENV });
    assert.deepEqual(errorsOf(r), [
      'broken.yaml:2:9: issuer: must use https, got "http://keycloak.example.com/realms/acme" (allowInsecureIssuer: true or $KEYGATE_ALLOW_INSECURE_ISSUER=true permits http for local development only)',
      'broken.yaml:6:7: port: must be an integer 1-65535, got "4181a"',
      'broken.yaml:8:11: cookie.secure: must be a boolean, got "yes"',
      'broken.yaml:9:21: algorithms[1]: "HS256" is never accepted: HMAC keys are shared secrets, so anyone holding the key (e.g. the client secret) could mint tokens; use an asymmetric algorithm such as RS256',
      'broken.yaml:10:11: logLevel: must be one of debug, info, warn, error, got "verbose"',
      'broken.yaml:11:1: trustedProxys: unknown key, did you mean "trustedProxies"?',
    ]);
  });

});

describe('config schema: agrees with validateConfig', () => {
  it('lists exactly the keys validateConfig knows', () => {
    const props = schema['properties'] as Record<string, { properties?: Record<string, unknown> }>;
    assert.deepEqual(Object.keys(props).sort(), allowedKeys('').sort());
    for (const section of SECTIONS) assert.deepEqual(Object.keys(props[section]?.properties ?? {}).sort(), allowedKeys(section).sort());
  });

  it('states the same defaults validateConfig applies', () => {
    const config = valueOf(run({})) as unknown as Record<string, unknown>;
    const props = schema['properties'] as Record<string, { default?: unknown; properties?: Record<string, { default?: unknown }> }>;
    const checked: string[] = [];
    for (const [key, prop] of Object.entries(props)) {
      // BASE_ENV sets authorizedParties: one of the audience lists must be non-empty.
      if ('default' in prop && key !== 'authorizedParties') {
        assert.deepEqual(config[key], prop.default, key);
        checked.push(key);
      }
      for (const [sub, subProp] of Object.entries(prop.properties ?? {})) {
        if (!('default' in subProp)) continue;
        assert.deepEqual((config[key] as Record<string, unknown>)[sub], subProp.default, `${key}.${sub}`);
        checked.push(`${key}.${sub}`);
      }
    }
    const expectDefaults: (keyof Config | `cookie.${string}` | `headers.${string}`)[] = ['port', 'host', 'trustedProxies', 'cookie.secure', 'algorithms', 'clockToleranceSeconds', 'headers.user', 'logLevel'];
    for (const k of expectDefaults) assert.ok(checked.includes(k), `schema lacks a default for ${k}`);
  });

  it('gives every property a description', () => {
    const props = schema['properties'] as Record<string, { description?: string; properties?: Record<string, { description?: string }> }>;
    for (const [key, prop] of Object.entries(props)) {
      assert.ok((prop.description ?? '').length > 10, key);
      for (const [sub, subProp] of Object.entries(prop.properties ?? {})) assert.ok((subProp.description ?? '').length > 10, `${key}.${sub}`);
    }
  });
});
