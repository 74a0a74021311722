/** Host matching: exact or `*.domain` (any depth, not the apex), case-insensitive, port-free. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchRule } from '../../src/policy/evaluate.js';
import { HOST_CACHE_LIMIT } from '../../src/policy/host-index.js';
import { parseHostPattern } from '../../src/policy/host-pattern.js';
import { buildPolicy, target } from './fixtures.js';

const policy = buildPolicy([
  { name: 'exact', hosts: ['App.Example.COM'], paths: ['/x'], allow: 'public' },
  { name: 'wild', hosts: ['*.example.com'], paths: ['/x'], allow: 'public' },
  { name: 'deep-wild', hosts: ['*.internal.example.org'], paths: ['/y'], allow: 'public' },
  { name: 'any', paths: ['/z'], allow: 'public' },
]);

describe('host patterns', () => {
  const table: { name: string; input: [host: string, path: string]; want: string }[] = [
    { name: 'exact host (pattern lower-cased at load)', input: ['app.example.com', '/x'], want: 'exact' },
    { name: 'a subdomain matches the wildcard', input: ['api.example.com', '/x'], want: 'wild' },
    { name: 'any depth of subdomain', input: ['a.b.c.example.com', '/x'], want: 'wild' },
    { name: 'the apex does not match the wildcard', input: ['example.com', '/x'], want: '(default)' },
    { name: 'a look-alike domain does not match', input: ['evilexample.com', '/x'], want: '(default)' },
    { name: 'a deeper wildcard', input: ['db.internal.example.org', '/y'], want: 'deep-wild' },
    { name: 'deeper wildcard apex', input: ['internal.example.org', '/y'], want: '(default)' },
    { name: 'hosts omitted matches any host', input: ['whatever.test', '/z'], want: 'any' },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.equal(matchRule(policy, target('GET', input[0], input[1])).name, want));
  }

  it('a host with a port never matches: adapters strip ports and lower-case (Target.host contract)', () => {
    assert.equal(matchRule(policy, target('GET', 'app.example.com:8443', '/x')).name, '(default)');
  });

  it('rejects bad host patterns with the constraint and the value', () => {
    const table: { name: string; input: string; want: string }[] = [
      { name: 'a port', input: 'app.example.com:443', want: 'must not include a port or scheme (ports are ignored), got "app.example.com:443"' },
      { name: 'a scheme', input: 'https://app.example.com', want: 'must not include a port or scheme (ports are ignored), got "https://app.example.com"' },
      { name: 'a lone star', input: '*', want: 'must not be "*" alone (omit hosts to match any host), got "*"' },
      { name: 'a star in the middle', input: 'a.*.example.com', want: 'may use "*" only as a whole first label ("*.example.com"), got "a.*.example.com"' },
      { name: 'a partial star', input: 'app*.example.com', want: 'may use "*" only as a whole first label ("*.example.com"), got "app*.example.com"' },
      { name: 'an empty label', input: 'app..example.com', want: 'must be a host name (letters, digits, "-", "." between labels) or "*.domain", got "app..example.com"' },
      { name: 'a trailing dot', input: 'example.com.', want: 'must be a host name (letters, digits, "-", "." between labels) or "*.domain", got "example.com."' },
      { name: 'a path', input: 'example.com/x', want: 'must be a host name (letters, digits, "-", "." between labels) or "*.domain", got "example.com/x"' },
    ];
    for (const { name, input, want } of table) assert.deepEqual(parseHostPattern(input), { ok: false, message: want }, name);
  });

  it('hosts named by no rule are served from a bounded cache', () => {
    for (let i = 0; i < HOST_CACHE_LIMIT + 10; i++) assert.equal(matchRule(policy, target('GET', `h${i}.example.com`, '/x')).name, 'wild');
    assert.ok(policy.index.cache.size <= HOST_CACHE_LIMIT);
    assert.equal(matchRule(policy, target('GET', 'unrelated.test', '/x')).name, '(default)');
  });

  it('keeps first-match order between exact, wildcard and any-host rules', () => {
    const p = buildPolicy([
      { name: 'any-first', paths: ['/a'], allow: 'public' },
      { name: 'wild-second', hosts: ['*.example.com'], paths: ['/a', '/b'], allow: 'public' },
      { name: 'exact-third', hosts: ['app.example.com'], paths: ['/a', '/b', '/c'], allow: 'public' },
      { name: 'any-fourth', paths: ['/a', '/b', '/c', '/d'], allow: 'public' },
    ]);
    const table = [
      { input: '/a', want: 'any-first' },
      { input: '/b', want: 'wild-second' },
      { input: '/c', want: 'exact-third' },
      { input: '/d', want: 'any-fourth' },
    ];
    for (const { input, want } of table) assert.equal(matchRule(p, target('GET', 'app.example.com', input)).name, want, input);
  });
});
