import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchRule } from '../../src/policy/evaluate.js';
import { parsePathPattern, patternCovers, testPath } from '../../src/policy/path-pattern.js';
import { buildPolicy, target } from './fixtures.js';

function matches(pattern: string, path: string): boolean {
  const p = parsePathPattern(pattern);
  assert.ok(p.ok, `pattern ${pattern} must parse`);
  return testPath(p.pattern, path, new Int32Array(16));
}

describe('path patterns', () => {
  const table: { name: string; input: [pattern: string, path: string]; want: boolean }[] = [
    { name: 'literal matches exactly', input: ['/api/health', '/api/health'], want: true },
    { name: 'literal ignores a trailing slash', input: ['/api/health', '/api/health/'], want: true },
    { name: 'literal does not match a longer path', input: ['/api/health', '/api/healthz'], want: false },
    { name: 'literal does not match a child', input: ['/api/health', '/api/health/x'], want: false },
    { name: 'pattern trailing slash is not significant', input: ['/api/', '/api'], want: true },
    { name: 'root matches root', input: ['/', '/'], want: true },
    { name: 'root does not match a segment', input: ['/', '/a'], want: false },
    { name: '* matches one segment', input: ['/a/*/c', '/a/b/c'], want: true },
    { name: '* does not match two segments', input: ['/a/*/c', '/a/b/x/c'], want: false },
    { name: '* does not match zero segments', input: ['/a/*/c', '/a/c'], want: false },
    { name: '* at the end needs a segment', input: ['/a/*', '/a/'], want: false },
    { name: '** matches zero segments', input: ['/x/**', '/x'], want: true },
    { name: '** matches the directory', input: ['/x/**', '/x/'], want: true },
    { name: '** matches many segments', input: ['/x/**', '/x/a/b/c'], want: true },
    { name: '** does not match a sibling prefix', input: ['/x/**', '/xy'], want: false },
    { name: '/** matches everything', input: ['/**', '/'], want: true },
    { name: '** in the middle, zero segments', input: ['/a/**/z', '/a/z'], want: true },
    { name: '** in the middle, several segments', input: ['/a/**/z', '/a/b/c/z'], want: true },
    { name: '** in the middle, wrong end', input: ['/a/**/z', '/a/b/c/y'], want: false },
    { name: 'two ** with literals between', input: ['/a/**/m/**/z', '/a/1/m/2/3/z'], want: true },
    { name: 'two ** missing the middle literal', input: ['/a/**/m/**/z', '/a/1/2/z'], want: false },
    { name: 'backtracking over a repeated literal', input: ['/**/b/c', '/b/b/b/c'], want: true },
    { name: '{name} matches one segment', input: ['/ns/{ns}/wf', '/ns/prod/wf'], want: true },
    { name: '{name} does not match two', input: ['/ns/{ns}/wf', '/ns/a/b/wf'], want: false },
    { name: 'case-sensitive literals', input: ['/Api', '/api'], want: false },
    { name: 'decoded characters match literally', input: ['/café/*', '/café/menu'], want: true },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.equal(matches(input[0], input[1]), want));
  }

  it('captures the {name} segments of the pattern that matched', () => {
    const p = buildPolicy([
      { name: 'two', paths: ['/t/{team}/p/{project}/**', '/u/{team}'], allow: { anyRole: ['team-{team}'] } },
    ]);
    assert.deepEqual(matchRule(p, target('GET', 'h', '/t/red/p/alpha/runs/1')).captures, { team: 'red', project: 'alpha' });
    assert.deepEqual(matchRule(p, target('GET', 'h', '/u/blue')).captures, { team: 'blue' });
  });

  it('captures after a ** take the leftmost match', () => {
    const p = buildPolicy([{ name: 'deep', paths: ['/**/items/{id}'], allow: 'public' }]);
    assert.deepEqual(matchRule(p, target('GET', 'h', '/a/items/b/items/7')).captures, { id: '7' });
  });
});

describe('patternCovers (for shadow warnings)', () => {
  const covers = (a: string, b: string): boolean => {
    const pa = parsePathPattern(a);
    const pb = parsePathPattern(b);
    assert.ok(pa.ok && pb.ok);
    return patternCovers(pa.pattern, pb.pattern);
  };
  const table: { name: string; input: [string, string]; want: boolean }[] = [
    { name: 'equal literals', input: ['/a/b', '/a/b'], want: true },
    { name: '/** covers all', input: ['/**', '/a/*/{x}/**'], want: true },
    { name: 'prefix ** covers its children', input: ['/a/**', '/a/b/c'], want: true },
    { name: 'prefix ** covers its root', input: ['/a/**', '/a'], want: true },
    { name: '* covers a literal segment', input: ['/a/*', '/a/b'], want: true },
    { name: '{x} covers *', input: ['/a/{x}', '/a/*'], want: true },
    { name: '* does not cover **', input: ['/a/*', '/a/**'], want: false },
    { name: 'literal does not cover *', input: ['/a/b', '/a/*'], want: false },
    { name: 'different literals', input: ['/a/b', '/a/c'], want: false },
    { name: 'narrower does not cover wider', input: ['/a/b/**', '/a/**'], want: false },
  ];
  for (const { name, input, want } of table) it(name, () => assert.equal(covers(input[0], input[1]), want));
});
