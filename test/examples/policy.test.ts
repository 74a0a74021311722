/**
 * The example policies load cleanly (no errors, no shadowed-rule warnings) and match the policy JSON Schema that
 * editors use (schemas/policy.schema.json, referenced from each file's yaml-language-server comment).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv, type AnySchema } from 'ajv';
import { EXAMPLES, examplePolicy, exampleText, exampleYaml, ROOT } from './support.js';

describe('the example policies', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'policy.schema.json'), 'utf8')) as AnySchema;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  for (const ex of EXAMPLES) {
    it(`${ex.name}: loads without errors or warnings`, () => {
      assert.ok(examplePolicy(ex).rules.length > 0);
    });

    it(`${ex.name}: matches schemas/policy.schema.json`, () => {
      const ok = validate(exampleYaml(ex, 'policy.yaml'));
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
      assert.ok(ok, `examples/${ex.name}/policy.yaml:\n${errors.join('\n')}`);
      assert.match(exampleText(ex, 'policy.yaml'), /^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/policy\.schema\.json$/m);
    });
  }
});
