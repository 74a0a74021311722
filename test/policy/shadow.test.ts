/** Shadowed-rule warnings: only when an earlier rule provably matches everything a later one does. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policyYaml, problems, type RuleInput } from './fixtures.js';

/** The 1-based line of `needle` in `text`. */
function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

/** Warnings for `earlier` followed by `later`, and the warning expected when later is shadowed. */
function warnings(earlier: Omit<RuleInput, 'name'>, later: Omit<RuleInput, 'name'>): { got: string[]; shadowed: string } {
  const text = policyYaml([{ name: 'earlier', ...earlier }, { name: 'later', ...later }]);
  const line = lineOf(text, '- name: later');
  return { got: problems(text), shadowed: `warning: policy.yaml:${line}:5: rules[1] "later": never matches: rules[0] "earlier" comes first and matches all of its hosts, methods and paths` };
}

describe('shadow warnings', () => {
  const table: { name: string; input: [Omit<RuleInput, 'name'>, Omit<RuleInput, 'name'>]; want: boolean }[] = [
    { name: 'catch-all before anything', input: [{ allow: 'public' }, { hosts: ['a.example.com'], paths: ['/x'], methods: ['GET'], allow: 'public' }], want: true },
    { name: 'same paths, earlier without methods', input: [{ paths: ['/api/**'], deny: true }, { paths: ['/api/**'], methods: ['POST'], allow: 'public' }], want: true },
    { name: 'prefix covers a child path', input: [{ paths: ['/api/**'], allow: 'authenticated' }, { paths: ['/api/v1/items', '/api'], allow: 'public' }], want: true },
    { name: '{x} covers a literal segment', input: [{ paths: ['/ns/{ns}/x'], allow: 'authenticated' }, { paths: ['/ns/prod/x'], allow: 'public' }], want: true },
    { name: 'any host covers an exact host', input: [{ paths: ['/x'], allow: 'public' }, { hosts: ['a.example.com'], paths: ['/x'], allow: 'public' }], want: true },
    { name: 'wildcard covers an exact subdomain', input: [{ hosts: ['*.example.com'], allow: 'public' }, { hosts: ['a.b.example.com'], allow: 'public' }], want: true },
    { name: 'wildcard covers a deeper wildcard', input: [{ hosts: ['*.example.com'], allow: 'public' }, { hosts: ['*.b.example.com'], allow: 'public' }], want: true },
    { name: 'method superset', input: [{ methods: ['GET', 'HEAD', 'POST'], allow: 'public' }, { methods: ['HEAD'], allow: 'public' }], want: true },
    { name: '/** covers a rule without paths', input: [{ paths: ['/**'], allow: 'public' }, { allow: 'public' }], want: true },
    { name: 'narrower earlier rule', input: [{ paths: ['/api/v1/**'], allow: 'public' }, { paths: ['/api/**'], allow: 'public' }], want: false },
    { name: 'methods not covered', input: [{ methods: ['GET'], allow: 'public' }, { methods: ['GET', 'POST'], allow: 'public' }], want: false },
    { name: 'earlier methods vs later any method', input: [{ methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'], allow: 'public' }, { allow: 'public' }], want: false },
    { name: 'one of the later paths is not covered', input: [{ paths: ['/a/**'], allow: 'public' }, { paths: ['/a/x', '/b'], allow: 'public' }], want: false },
    { name: 'exact host does not cover a wildcard', input: [{ hosts: ['a.example.com'], allow: 'public' }, { hosts: ['*.example.com'], allow: 'public' }], want: false },
    { name: 'wildcard does not cover its apex', input: [{ hosts: ['*.example.com'], allow: 'public' }, { hosts: ['example.com'], allow: 'public' }], want: false },
    { name: 'different hosts', input: [{ hosts: ['a.example.com'], allow: 'public' }, { hosts: ['b.example.com'], allow: 'public' }], want: false },
    { name: 'host-limited earlier rule vs any-host later rule', input: [{ hosts: ['a.example.com'], allow: 'public' }, { allow: 'public' }], want: false },
    { name: '* does not cover **', input: [{ paths: ['/a/*'], allow: 'public' }, { paths: ['/a/**'], allow: 'public' }], want: false },
    { name: 'a literal does not cover *', input: [{ paths: ['/a/b'], allow: 'public' }, { paths: ['/a/*'], allow: 'public' }], want: false },
  ];
  for (const { name, input, want } of table) {
    it(name, () => {
      const { got, shadowed } = warnings(input[0], input[1]);
      assert.deepEqual(got, want ? [shadowed] : []);
    });
  }

  it('names the first earlier rule that hides the later one', () => {
    const text = policyYaml([
      { name: 'a', paths: ['/x/**'], allow: 'public' },
      { name: 'b', allow: 'public' },
      { name: 'c', paths: ['/x/y'], allow: 'public' },
    ]);
    const line = lineOf(text, '- name: c');
    assert.deepEqual(problems(text), [`warning: policy.yaml:${line}:5: rules[2] "c": never matches: rules[0] "a" comes first and matches all of its hosts, methods and paths`]);
  });

  it('a shadowed rule is a warning, not an error: the policy still loads', () => {
    assert.equal(problems(policyYaml([{ name: 'a', allow: 'public' }, { name: 'b', allow: 'public' }])).length, 1);
  });
});
