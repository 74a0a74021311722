/** schemas/policy.schema.json accepts every shipped policy and rejects broken ones. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { loadPolicy } from '../../src/policy/load.js';

// Compiled to dist/test/policy/; the repository root is three levels up.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'policy.schema.json'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

/** Every policy.yaml under examples/, recursively. */
function examplePolicies(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'policy.yaml') out.push(p);
    }
  };
  walk(join(ROOT, 'examples'));
  return out.sort();
}

describe('policy JSON Schema', () => {
  const files = examplePolicies();

  it('finds example policies (at least the demo)', () => {
    assert.ok(files.some((f) => f.endsWith(join('examples', 'demo', 'policy.yaml'))), `found: ${files.join(', ')}`);
  });

  for (const file of files) {
    it(`accepts ${relative(ROOT, file)} (and keygate loads it without errors)`, () => {
      const text = readFileSync(file, 'utf8');
      assert.equal(validate(parse(text)), true, JSON.stringify(validate.errors, null, 2));
      assert.deepEqual(loadPolicy(text, file).errors, []);
    });
  }

  const broken: { name: string; input: unknown }[] = [
    { name: 'version 2', input: { version: 2, rules: [{ name: 'a', allow: 'public' }] } },
    { name: 'no rules', input: { version: 1 } },
    { name: 'empty rules', input: { version: 1, rules: [] } },
    { name: 'unknown top-level key', input: { version: 1, rule: [], rules: [{ name: 'a', allow: 'public' }] } },
    { name: 'bad default', input: { version: 1, default: 'allow', rules: [{ name: 'a', allow: 'public' }] } },
    { name: 'bad rule name', input: { version: 1, rules: [{ name: 'Bad_Name', allow: 'public' }] } },
    { name: 'unknown method', input: { version: 1, rules: [{ name: 'a', methods: ['FETCH'], allow: 'public' }] } },
    { name: 'allow and deny', input: { version: 1, rules: [{ name: 'a', allow: 'public', deny: true }] } },
    { name: 'neither allow nor deny', input: { version: 1, rules: [{ name: 'a', paths: ['/x'] }] } },
    { name: 'deny: false', input: { version: 1, rules: [{ name: 'a', deny: false }] } },
    { name: 'unknown allow word', input: { version: 1, rules: [{ name: 'a', allow: 'everyone' }] } },
    { name: 'unknown condition key', input: { version: 1, rules: [{ name: 'a', allow: { anyRoles: ['x'] } }] } },
    { name: 'empty condition block', input: { version: 1, rules: [{ name: 'a', allow: {} }] } },
    { name: 'path without leading slash', input: { version: 1, rules: [{ name: 'a', paths: ['api'], allow: 'public' }] } },
    { name: 'host with a port', input: { version: 1, rules: [{ name: 'a', hosts: ['a.example.com:443'], allow: 'public' }] } },
    { name: 'group without leading slash', input: { version: 1, rules: [{ name: 'a', allow: { anyGroup: ['admins'] } }] } },
    { name: 'maxAuthAge 0', input: { version: 1, rules: [{ name: 'a', allow: { maxAuthAge: 0 } }] } },
    { name: 'maxAuthAge in minutes as text', input: { version: 1, rules: [{ name: 'a', allow: { maxAuthAge: '5m' } }] } },
    { name: 'a number claim value', input: { version: 1, rules: [{ name: 'a', allow: { claims: { tenant: 42 } } }] } },
    { name: 'an empty claims map', input: { version: 1, rules: [{ name: 'a', allow: { claims: {} } }] } },
    { name: 'a nested claim name', input: { version: 1, rules: [{ name: 'a', allow: { claims: { 'a.b': 'x' } } }] } },
    { name: 'an empty clients list', input: { version: 1, rules: [{ name: 'a', allow: { clients: [] } }] } },
    { name: 'amr as a string', input: { version: 1, rules: [{ name: 'a', allow: { amr: 'otp' } }] } },
    { name: 'a header with a space in its name', input: { version: 1, rules: [{ name: 'a', allow: 'public', headers: { 'X A': 'v' } }] } },
    { name: 'a secret header with an unknown key', input: { version: 1, rules: [{ name: 'a', allow: 'public', headers: { 'X-A': { file: '/s', encoding: 'base64' } } }] } },
    { name: 'a header value with a line break', input: { version: 1, rules: [{ name: 'a', allow: 'public', headers: { 'X-A': 'a\nb' } }] } },
  ];
  it('accepts every new condition key (issue 13)', () => {
    const block = { anyRole: ['argo-*-viewer'], anyGroup: ['/teams/*/admins'], clients: ['ci'], claims: { email_verified: true, tenant: ['a', 'b'] }, acr: ['gold'], amr: ['otp'], maxAuthAge: 300 };
    assert.equal(validate({ version: 1, rules: [{ name: 'a', allow: block }] }), true, JSON.stringify(validate.errors));
  });
  it('accepts fixed, secret and claim upstream headers (issue 13)', () => {
    const headers = { 'X-Env': 'prod', Authorization: { file: '/run/secrets/prefect-auth', prefix: 'Basic ', base64: true }, 'X-Auth-Tenant': { claim: 'tenant' } };
    assert.equal(validate({ version: 1, rules: [{ name: 'a', allow: 'authenticated', headers }] }), true, JSON.stringify(validate.errors));
  });
  for (const { name, input } of broken) {
    it(`rejects a policy with ${name}`, () => assert.equal(validate(input), false));
  }
});
