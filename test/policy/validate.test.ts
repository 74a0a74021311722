/** Policy validation: every problem at once, with exact file:line:column, constraint, allowed values and actual value. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load, problems } from './fixtures.js';

/** A policy with one mistake of each kind (line numbers matter: see the expected positions). */
const BROKEN = [
  "version: 2",
  "default: allow",
  "extra: 1",
  "rules:",
  "  - name: Prefect_Run",
  "    hosts: [\"app.example.com:443\"]",
  "    paths: [api/x, \"/a/**b\", \"/a/{1x}\", \"/a/{id}/{id}\"]",
  "    methods: [GET, FETCH]",
  "    allow: everyone",
  "  - name: dup",
  "    paths: [\"/x/{ns}\"]",
  "    allow:",
  "      anyRole: [\"team-{ns}\", \"ops-{team}\"]",
  "      anyGroup: [admins]",
  "      anyRoles: [x]",
  "  - name: dup",
  "    paths: [/y]",
  "    allow: public",
  "    deny: true",
  "  - name: nothing",
  "    paths: []",
  "  - name: bad-deny",
  "    deny: false",
  "  - name: empty-block",
  "    allow: [{}]",
  "  - name: split-captures",
  "    paths: [\"/a/{x}\", \"/b\"]",
  "    allow:",
  "      anyRole: [\"r-{x}\"]",
  "  - \"just a string\"",
].join('\n');

const BROKEN_PROBLEMS = [
  "policy.yaml:1:10: version must be 1, got 2",
  "policy.yaml:2:10: default must be one of deny, authenticated, got \"allow\"",
  "policy.yaml:3:1: unknown key \"extra\" (allowed: version, default, rules, caseInsensitivePaths)",
  "policy.yaml:5:11: rules[0] \"Prefect_Run\": name must match [a-z0-9-]+ (lowercase letters, digits and \"-\"), got \"Prefect_Run\"",
  "policy.yaml:6:13: rules[0] \"Prefect_Run\": hosts must not include a port or scheme (ports are ignored), got \"app.example.com:443\"",
  "policy.yaml:7:13: rules[0] \"Prefect_Run\": paths must start with \"/\", got \"api/x\"",
  "policy.yaml:7:20: rules[0] \"Prefect_Run\": paths \"*\" and \"**\" must be a whole segment, got \"/a/**b\"",
  "policy.yaml:7:30: rules[0] \"Prefect_Run\": paths capture \"{1x}\" needs a name of letters, digits and \"_\", not starting with a digit, got \"/a/{1x}\"",
  "policy.yaml:7:41: rules[0] \"Prefect_Run\": paths capture \"{id}\" appears twice, got \"/a/{id}/{id}\"",
  "policy.yaml:8:20: rules[0] \"Prefect_Run\": methods must be HTTP methods (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE), got \"FETCH\"",
  "policy.yaml:9:12: rules[0] \"Prefect_Run\": allow must be public, authenticated, a condition block or a list of condition blocks, got \"everyone\"",
  "policy.yaml:13:30: rules[1] \"dup\": allow.anyRole uses {team} in \"ops-{team}\", but {team} is not captured by every path pattern of the rule (captured by all: {ns})",
  "policy.yaml:14:18: rules[1] \"dup\": allow.anyGroup must be group paths starting with \"/\" (e.g. \"/platform/admins\"), got \"admins\"",
  "policy.yaml:15:7: rules[1] \"dup\": unknown key \"anyRoles\" in allow, did you mean \"anyRole\"? (allowed: anyRole, allRoles, anyGroup, users, scopes, clients, claims, acr, amr, maxAuthAge)",
  "policy.yaml:16:11: rules[2] \"dup\": name must be unique, but \"dup\" is already used by rules[1]",
  "policy.yaml:19:5: rules[2] \"dup\": a rule has either allow or deny, not both",
  "policy.yaml:20:5: rules[3] \"nothing\": needs allow (public, authenticated, a condition block or a list of condition blocks) or deny: true",
  "policy.yaml:21:12: rules[3] \"nothing\": paths must not be an empty list (list at least one of path patterns, or omit the key)",
  "policy.yaml:23:11: rules[4] \"bad-deny\": deny must be true (omit it and use allow otherwise), got false",
  "policy.yaml:25:13: rules[5] \"empty-block\": allow[0] must have at least one of anyRole, allRoles, anyGroup, users, scopes, clients, claims, acr, amr, maxAuthAge",
  "policy.yaml:29:17: rules[6] \"split-captures\": allow.anyRole uses {x} in \"r-{x}\", but {x} is not captured by every path pattern of the rule (captured by all: none)",
  "policy.yaml:30:5: rules[7]: a rule must be a mapping (name, hosts, paths, methods, allow, deny, headers), got \"just a string\"",
];

/** A valid rule list with `extra` appended as the last rule (at line 6). */
function withRule(extra: string): string {
  return ['version: 1', 'default: deny', 'rules:', '  - name: ok', '    allow: public', extra].join('\n');
}

describe('policy validation', () => {
  it('reports every problem of a broken policy at once, in file order, with positions', () => {
    assert.deepEqual(problems(BROKEN), BROKEN_PROBLEMS);
  });

  it('never yields a policy when there is an error', () => {
    const r = load(BROKEN);
    assert.equal(r.value, undefined);
    assert.equal(r.errors.length, BROKEN_PROBLEMS.length);
  });

  const table: { name: string; input: string; want: string[] }[] = [
    { name: 'an empty file', input: '', want: ['policy.yaml:1:1: the policy must be a mapping with version: 1, default and rules, got an empty document'] },
    { name: 'a list instead of a mapping', input: '- a\n- b\n', want: ['policy.yaml:1:1: the policy must be a mapping with version: 1, default and rules, got a list'] },
    { name: 'YAML syntax', input: 'version: 1\nrules: [a, b\n', want: ['policy.yaml:3:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]'] },
    { name: 'duplicate YAML keys', input: 'version: 1\nversion: 1\nrules: []\n', want: ['policy.yaml:2:1: YAML syntax: Map keys must be unique'] },
    { name: 'missing version', input: 'rules:\n  - name: a\n    allow: public\n', want: ['policy.yaml:1:1: version is required and must be 1'] },
    { name: 'version as a string', input: 'version: "1"\nrules:\n  - name: a\n    allow: public\n', want: ['policy.yaml:1:10: version must be 1, got "1"'] },
    { name: 'missing rules', input: 'version: 1\n', want: ['policy.yaml:1:1: rules is required: a non-empty list of rules'] },
    { name: 'empty rules', input: 'version: 1\nrules: []\n', want: ['policy.yaml:2:8: rules must not be an empty list'] },
    { name: 'rules as a mapping', input: 'version: 1\nrules:\n  a: 1\n', want: ['policy.yaml:3:3: rules must be a non-empty list of rules, got a mapping'] },
    { name: 'missing name', input: withRule('  - allow: public'), want: ['policy.yaml:6:5: rules[1]: name is required (lowercase letters, digits and "-")'] },
    { name: 'name not a string', input: withRule('  - name: 12\n    allow: public'), want: ['policy.yaml:6:11: rules[1]: name must match [a-z0-9-]+ (lowercase letters, digits and "-"), got 12'] },
    { name: 'unknown rule key', input: withRule('  - name: b\n    host: [a.example.com]\n    allow: public'), want: ['policy.yaml:7:5: rules[1] "b": unknown key "host", did you mean "hosts"? (allowed: name, hosts, paths, methods, allow, deny, headers)'] },
    { name: 'hosts not a list', input: withRule('  - name: b\n    hosts: a.example.com\n    allow: public'), want: ['policy.yaml:7:12: rules[1] "b": hosts must be a non-empty list of host patterns ("app.example.com" or "*.example.com"), got "a.example.com"'] },
    { name: 'empty hosts', input: withRule('  - name: b\n    hosts: []\n    allow: public'), want: ['policy.yaml:7:12: rules[1] "b": hosts must not be an empty list (list at least one of host patterns ("app.example.com" or "*.example.com"), or omit the key)'] },
    { name: 'a host that is not a string', input: withRule('  - name: b\n    hosts: [1]\n    allow: public'), want: ['policy.yaml:7:13: rules[1] "b": hosts must be host patterns ("app.example.com" or "*.example.com") (non-empty strings), got 1'] },
    { name: 'empty methods', input: withRule('  - name: b\n    methods: []\n    allow: public'), want: ['policy.yaml:7:14: rules[1] "b": methods must not be an empty list (list at least one of HTTP methods (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE), or omit the key)'] },
    { name: 'lower-case method', input: withRule('  - name: b\n    methods: [get]\n    allow: public'), want: ['policy.yaml:7:15: rules[1] "b": methods must be HTTP methods (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE), got "get"'] },
    { name: 'a query in a path', input: withRule('  - name: b\n    paths: ["/a?x=1"]\n    allow: public'), want: ['policy.yaml:7:13: rules[1] "b": paths must not contain "?" or "#" (query strings are never matched), got "/a?x=1"'] },
    { name: 'an empty path segment', input: withRule('  - name: b\n    paths: ["/a//b"]\n    allow: public'), want: ['policy.yaml:7:13: rules[1] "b": paths must not contain an empty segment ("//" never matches a normalised path), got "/a//b"'] },
    { name: 'a dot segment in a path', input: withRule('  - name: b\n    paths: ["/a/../b"]\n    allow: public'), want: ['policy.yaml:7:13: rules[1] "b": paths must not contain "." or ".." segments (paths are matched after resolving them), got "/a/../b"'] },
    { name: 'percent-encoding in a path', input: withRule('  - name: b\n    paths: ["/a%20b"]\n    allow: public'), want: ['policy.yaml:7:13: rules[1] "b": paths must not be percent-encoded (paths are matched decoded; write the character itself), got "/a%20b"'] },
    { name: 'a partial capture', input: withRule('  - name: b\n    paths: ["/a/x{id}"]\n    allow: public'), want: ['policy.yaml:7:13: rules[1] "b": paths "{name}" must be a whole segment, got "/a/x{id}"'] },
    { name: 'a partial star', input: withRule('  - name: b\n    paths: ["/a/*.json"]\n    allow: public'), want: ['policy.yaml:7:13: rules[1] "b": paths "*" and "**" must be a whole segment, got "/a/*.json"'] },
    { name: 'neither allow nor deny', input: withRule('  - name: b\n    paths: [/b]'), want: ['policy.yaml:6:5: rules[1] "b": needs allow (public, authenticated, a condition block or a list of condition blocks) or deny: true'] },
    { name: 'empty allow list', input: withRule('  - name: b\n    allow: []'), want: ['policy.yaml:7:12: rules[1] "b": allow must not be an empty list (list at least one condition block)'] },
    { name: 'a string inside an allow list', input: withRule('  - name: b\n    allow: [public]'), want: ['policy.yaml:7:13: rules[1] "b": allow[0] must be a condition block (anyRole, allRoles, anyGroup, users, scopes, clients, claims, acr, amr, maxAuthAge), got "public"'] },
    { name: 'an empty role list', input: withRule('  - name: b\n    allow:\n      anyRole: []'), want: ['policy.yaml:8:16: rules[1] "b": allow.anyRole must not be an empty list (list at least one of role names, or omit the key)'] },
    { name: 'an empty role name', input: withRule('  - name: b\n    allow:\n      anyRole: [""]'), want: ['policy.yaml:8:17: rules[1] "b": allow.anyRole must be role names (non-empty strings), got ""'] },
    { name: 'an unbalanced template', input: withRule('  - name: b\n    paths: ["/x/{ns}"]\n    allow:\n      anyRole: ["r-{ns"]'), want: ['policy.yaml:9:17: rules[1] "b": allow.anyRole has unbalanced braces, got "r-{ns"'] },
    { name: 'a template in a rule without paths', input: withRule('  - name: b\n    allow:\n      anyRole: ["r-{ns}"]'), want: ['policy.yaml:8:17: rules[1] "b": allow.anyRole uses {ns} in "r-{ns}", but the rule has no paths, so nothing is captured'] },
    { name: 'a group with a trailing slash', input: withRule('  - name: b\n    allow:\n      anyGroup: [/a/]'), want: ['policy.yaml:8:18: rules[1] "b": allow.anyGroup must be group paths without empty segments or a trailing "/", got "/a/"'] },
    { name: 'a scope with a space', input: withRule('  - name: b\n    allow:\n      scopes: ["a b"]'), want: ['policy.yaml:8:16: rules[1] "b": allow.scopes must be single scope names without spaces, got "a b"'] },
    { name: 'an unknown key in a listed block', input: withRule('  - name: b\n    allow:\n      - user: [x]'), want: ['policy.yaml:8:9: rules[1] "b": unknown key "user" in allow[0], did you mean "users"? (allowed: anyRole, allRoles, anyGroup, users, scopes, clients, claims, acr, amr, maxAuthAge)'] },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(problems(input), want));
  }

  it('accepts the DESIGN example', () => {
    const design = [
      'version: 1',
      'default: deny',
      'rules:',
      '  - name: prefect-health',
      '    hosts: [prefect.example.com]',
      '    paths: [/api/health]',
      '    methods: [GET, HEAD]',
      '    allow: public',
      '  - name: prefect-run',
      '    hosts: [prefect.example.com]',
      '    paths: ["/api/deployments/*/create_flow_run"]',
      '    methods: [POST]',
      '    allow:',
      '      anyRole: [data-engineer, "prefect:operator"]',
      '  - name: temporal-namespace',
      '    hosts: [temporal.example.com]',
      '    paths: ["/api/v1/namespaces/{namespace}/**"]',
      '    allow:',
      '      - anyRole: ["temporal-{namespace}-writer"]',
      '      - anyGroup: [/platform/admins]',
      '  - name: no-admin-api',
      '    paths: ["/api/admin/**"]',
      '    deny: true',
    ].join('\n');
    const r = load(design);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.value?.rules.map((x) => [x.name, x.line, x.column]), [['prefect-health', 4, 5], ['prefect-run', 9, 5], ['temporal-namespace', 15, 5], ['no-admin-api', 21, 5]]);
  });

  it('defaults to deny when `default` is omitted', () => {
    assert.equal(load('version: 1\nrules:\n  - name: a\n    allow: public\n').value?.default, 'deny');
  });
});
