/** Rules' upstream headers (issue 13): validation, secret files, and that a secret is never serialised. */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { AuthError } from '../../src/errors.js';
import { withUpstreamHeaders } from '../../src/http/upstream-headers.js';
import type { Identity } from '../../src/identity/types.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { explain } from '../../src/policy/explain.js';
import { loadPolicy } from '../../src/policy/load.js';
import { describeHeader, SecretValue, secretHeaderValue } from '../../src/policy/upstream-headers.js';
import { formatProblem } from '../../src/util/problems.js';
import { identity, policyYaml, problems, target } from './fixtures.js';

const rule = (headers: unknown, allow: unknown = 'authenticated'): string => policyYaml([{ name: 'r', allow, headers } as never]);

describe('headers validation', () => {
  const table: { name: string; input: string; want: string[] }[] = [
    { name: 'fixed, secret and claim headers', input: rule({ 'X-Env': 'prod', Authorization: { file: '/s', prefix: 'Basic ', base64: true }, 'X-Auth-Tenant': { claim: 'tenant' } }), want: [] },
    { name: 'an empty map', input: rule({}), want: ['policy.yaml:6:14: rules[0] "r": headers must be a non-empty mapping of header names to a fixed string, { file: PATH, prefix?: TEXT, base64?: true|false } (a secret) or { claim: NAME }, got a mapping'] },
    { name: 'a header name with a space', input: rule({ 'X Bad': 'v' }), want: ['policy.yaml:7:7: rules[0] "r": headers names must be HTTP header names (letters, digits and !#$%&\'*+.^_`|~-), got "X Bad"'] },
    { name: 'a reserved header', input: rule({ 'Set-Cookie': 'a=b' }), want: ['policy.yaml:7:7: rules[0] "r": headers must not set Set-Cookie: keygate\'s answer or the proxy owns it (reserved: content-length, content-type, transfer-encoding, connection, keep-alive, upgrade, te, trailer, host, cache-control, set-cookie, location, www-authenticate, retry-after)'] },
    { name: 'the same name twice in other cases', input: rule({ 'X-A': '1', 'x-a': '2' }), want: ['policy.yaml:8:7: rules[0] "r": headers names x-a twice (also as X-A; header names are case-insensitive)'] },
    { name: 'a fixed value with a line break', input: rule({ 'X-A': 'a\nb' }), want: ['policy.yaml:7:12: rules[0] "r": headers.X-A must be a non-empty value of printable ASCII characters (no line breaks), got "a\\nb"'] },
    { name: 'a claim with another key', input: rule({ 'X-A': { claim: 'a', file: '/x' } }), want: ['policy.yaml:8:9: rules[0] "r": headers.X-A must be { claim: NAME } with a top-level claim name and nothing else, got a mapping'] },
    { name: 'a secret with an unknown key', input: rule({ 'X-A': { file: '/x', encoding: 'base64' } }), want: ['policy.yaml:8:9: rules[0] "r": headers.X-A must be a fixed string, { file: PATH, prefix?: TEXT, base64?: true|false } (a secret) or { claim: NAME }, got a mapping'] },
    { name: 'headers on a deny rule', input: policyYaml([{ name: 'r', deny: true, headers: { 'X-A': '1' } } as never]), want: ['policy.yaml:7:7: rules[0] "r": headers only go with allow: a deny rule never answers 200'] },
    { name: 'did you mean for a misspelt rule key', input: policyYaml([{ name: 'r', allow: 'public', header: { 'X-A': '1' } } as never]), want: ['policy.yaml:6:5: rules[0] "r": unknown key "header", did you mean "headers"? (allowed: name, hosts, paths, methods, allow, deny, headers)'] },
  ];
  for (const { name, input, want } of table) it(name, () => assert.deepEqual(problems(input), want));
});

describe('secret files', () => {
  const text = rule({ Authorization: { file: '/run/secrets/prefect', prefix: 'Basic ', base64: true } });
  const files: Record<string, string> = { '/run/secrets/prefect': 'admin:pw\n' };
  const read = (f: string): string => {
    const v = files[f];
    if (v === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return v;
  };

  it('are read at load, trailing newline dropped, base64 with the prefix', () => {
    const r = loadPolicy(text, 'policy.yaml', { readSecret: read });
    assert.deepEqual(r.errors.map(formatProblem), []);
    const d = evaluate(r.value!, target('GET', 'a.example.com', '/'), identity({ username: 'u' }));
    assert.equal(d.kind, 'allow');
    const answer = withUpstreamHeaders({ status: 200, headers: {}, body: '' }, d.kind === 'allow' ? (d.upstream ?? []) : [], undefined);
    assert.equal(answer.headers['authorization'], `Basic ${Buffer.from('admin:pw').toString('base64')}`);
  });

  it('a missing file is an error at its header, naming the file and the code', () => {
    const r = loadPolicy(rule({ Authorization: { file: '/nope' } }), 'policy.yaml', { readSecret: read });
    assert.deepEqual(r.errors.map(formatProblem), ['policy.yaml:8:9: rules[0] "r": headers.Authorization: cannot read the secret file /nope: ENOENT']);
  });

  it('a file that cannot be a header value is refused without printing it', () => {
    files['/bad'] = 'line1\nline2-secret\n';
    const r = loadPolicy(rule({ Authorization: { file: '/bad' } }), 'policy.yaml', { readSecret: read });
    const msgs = r.errors.map(formatProblem);
    assert.equal(msgs.length, 1);
    assert.match(msgs[0] ?? '', /the secret file \/bad holds characters a header value cannot carry/);
    assert.ok(!msgs[0]?.includes('line2-secret'));
  });

  it('without a reader (explain, test) the secret stays unread and the answer fails closed', () => {
    const r = loadPolicy(text, 'policy.yaml');
    assert.deepEqual(r.errors, []);
    const d = evaluate(r.value!, target('GET', 'a.example.com', '/'), identity({ username: 'u' }));
    assert.throws(() => withUpstreamHeaders({ status: 200, headers: {}, body: '' }, d.kind === 'allow' ? (d.upstream ?? []) : [], undefined), (err: unknown) => err instanceof AuthError && err.code === 'ERR_INTERNAL' && (err.detail ?? '').includes('was not loaded'));
  });

  it('a SecretValue never prints, serialises or inspects as its value', () => {
    const s = new SecretValue('hunter2');
    assert.equal(String(s), '[secret]');
    assert.equal(JSON.stringify({ s }), '{"s":"[secret]"}');
    assert.ok(!inspect({ s }).includes('hunter2'));
    assert.equal(s.reveal(), 'hunter2');
  });

  it('explain (JSON) and its header description never carry the secret', () => {
    const r = loadPolicy(text, 'policy.yaml', { readSecret: read });
    const e = explain(r.value!, target('GET', 'a.example.com', '/'), identity({ username: 'u' }));
    const json = JSON.stringify(e);
    assert.ok(!json.includes('admin:pw') && !json.includes(Buffer.from('admin:pw').toString('base64')), json);
    assert.equal(e.decision.kind === 'allow' ? e.decision.upstream?.map(describeHeader).join('; ') : '', 'Authorization: secret from file /run/secrets/prefect (base64), prefixed "Basic "');
  });

  const values: { name: string; input: { content: string; prefix: string; base64: boolean }; want: string }[] = [
    { name: 'plain', input: { content: 'token\n', prefix: 'Bearer ', base64: false }, want: 'Bearer token' },
    { name: 'CRLF dropped', input: { content: 'token\r\n', prefix: '', base64: false }, want: 'token' },
    { name: 'base64 of UTF-8', input: { content: 'ü:x', prefix: 'Basic ', base64: true }, want: `Basic ${Buffer.from('ü:x').toString('base64')}` },
    { name: 'empty', input: { content: '\n', prefix: '', base64: false }, want: 'error: is empty' },
  ];
  for (const { name, input, want } of values) {
    it(`secret value: ${name}`, () => {
      const v = secretHeaderValue(input.content, input);
      assert.equal('error' in v ? `error: ${v.error}` : v.reveal(), want);
    });
  }
});

describe('claim headers', () => {
  const h = (claim: string) => [{ name: 'X-C', lower: 'x-c', value: { kind: 'claim' as const, claim } }];
  const who = (claims: Identity['claims']): Identity => identity({ username: 'u', ...(claims === undefined ? {} : { claims }) });
  const table: { name: string; input: { claim: string; who: Identity | undefined }; want: string }[] = [
    { name: 'string', input: { claim: 't', who: who({ t: 'acme' }) }, want: 'acme' },
    { name: 'boolean', input: { claim: 't', who: who({ t: false }) }, want: 'false' },
    { name: 'string array', input: { claim: 't', who: who({ t: ['a', 'b'] }) }, want: 'a,b' },
    { name: 'absent', input: { claim: 't', who: who({}) }, want: '' },
    { name: 'no claims', input: { claim: 't', who: who(undefined) }, want: '' },
    { name: 'anonymous', input: { claim: 't', who: undefined }, want: '' },
    { name: 'never a prototype member', input: { claim: 'constructor', who: who({}) }, want: '' },
    { name: 'sid is the Keycloak session the identity carries (kept out of the shared claims)', input: { claim: 'sid', who: identity({ username: 'u', sid: 'kc-session-1', claims: { sid: 'never-this' } }) }, want: 'kc-session-1' },
    { name: 'sid of an identity without a session', input: { claim: 'sid', who: who({}) }, want: '' },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.equal(withUpstreamHeaders({ status: 200, headers: {}, body: '' }, h(input.claim), input.who).headers['x-c'], want));
  }
});

describe('every allow carries every upstream header name of the policy', () => {
  const text = `version: 1
default: authenticated
rules:
  - name: tenant-app
    hosts: [a.example.com]
    allow: authenticated
    headers:
      X-Auth-Tenant: { claim: tenant }
  - name: env-app
    hosts: [b.example.com]
    allow: public
    headers:
      X-Env: prod
  - name: plain
    hosts: [c.example.com]
    allow: public
`;
  const policy = loadPolicy(text, 'policy.yaml').value!;
  const who = identity({ username: 'u', claims: { tenant: 'acme' } });
  const table: { name: string; input: string; want: Record<string, string> }[] = [
    { name: 'a rule with a claim header: its value, the other rule\'s name empty', input: 'a.example.com', want: { 'x-auth-tenant': 'acme', 'x-env': '' } },
    { name: 'a rule with a fixed header: its value, the other rule\'s name empty', input: 'b.example.com', want: { 'x-auth-tenant': '', 'x-env': 'prod' } },
    { name: 'a rule without headers: every name empty (Caddy 2.6 would send a placeholder)', input: 'c.example.com', want: { 'x-auth-tenant': '', 'x-env': '' } },
    { name: 'the default (authenticated): every name empty', input: 'z.example.com', want: { 'x-auth-tenant': '', 'x-env': '' } },
  ];
  for (const { name, input, want } of table) {
    it(name, () => {
      const d = evaluate(policy, target('GET', input, '/'), who);
      assert.equal(d.kind, 'allow');
      const answer = withUpstreamHeaders({ status: 200, headers: {}, body: '' }, d.kind === 'allow' ? (d.upstream ?? []) : [], who);
      assert.deepEqual({ 'x-auth-tenant': answer.headers['x-auth-tenant'], 'x-env': answer.headers['x-env'] }, want);
    });
  }
});
