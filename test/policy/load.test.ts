/** loadPolicy: the fast and the full YAML paths give the same policy and positions; it never throws. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYamlFast } from '../../src/util/yaml-fast.js';
import { formatProblem } from '../../src/util/problems.js';
import { load } from './fixtures.js';

const TEXT = `version: 1
default: deny
rules:
  - name: all-api
    paths: ["/api/**"]
    allow: authenticated
  - name: hidden
    hosts: [app.example.com]
    paths: [/api/x]
    methods: [GET]
    allow: public
  - name: ns
    paths: ["/ns/{ns}/**"]
    allow:
      - anyRole: ["ns-{ns}"]
      - anyGroup: [/platform/admins]
`;

/** The same document, with a tag that the fast parser leaves to the full one (same lines and columns). */
const TAGGED = TEXT.replace('default: deny', 'default: !!str deny');

describe('loadPolicy', () => {
  it('uses the fast parser for plain files and the full parser otherwise, with identical results', () => {
    assert.notEqual(parseYamlFast(TEXT, 'policy.yaml'), undefined);
    assert.equal(parseYamlFast(TAGGED, 'policy.yaml'), undefined);
    const fast = load(TEXT);
    const full = load(TAGGED);
    const summary = (r: typeof fast): unknown => ({
      errors: r.errors.map(formatProblem),
      warnings: r.warnings.map(formatProblem),
      rules: r.value?.rules.map((x) => [x.index, x.name, x.line, x.column, x.methodMask, x.access]),
    });
    assert.deepEqual(summary(fast), summary(full));
    assert.deepEqual(fast.warnings.map(formatProblem), [
      'policy.yaml:7:5: rules[1] "hidden": never matches: rules[0] "all-api" comes first and matches all of its hosts, methods and paths',
    ]);
  });

  it('reports errors with the full parser\'s positions even when the fast parser read the file', () => {
    const broken = TEXT.replace('methods: [GET]', 'methods: [GET, FETCH]');
    assert.notEqual(parseYamlFast(broken, 'policy.yaml'), undefined);
    assert.deepEqual(load(broken).errors.map(formatProblem), [
      'policy.yaml:10:20: rules[1] "hidden": methods must be HTTP methods (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE), got "FETCH"',
    ]);
  });

  it('never throws, whatever the input', () => {
    let seed = 3;
    const next = (): number => {
      seed = (seed * 48271) % 2147483647;
      return seed;
    };
    const alphabet = 'ab: -[]{}"\'#&*!|>%@`\n\t\r  /{}*.,0123456789versionrulesnameallowdeny';
    for (let i = 0; i < 2000; i++) {
      let text = '';
      for (let j = next() % 120; j > 0; j--) text += alphabet[next() % alphabet.length];
      const r = load(i % 2 === 0 ? `version: 1\nrules:\n  - ${text}` : text);
      assert.ok(r.value !== undefined || r.errors.length > 0);
      assert.ok(!r.errors.some((e) => e.message.startsWith('internal error')), `internal error on ${JSON.stringify(text)}: ${r.errors.map(formatProblem).join('; ')}`);
    }
  });
});
