/** Shared fixtures of the policy tests: named identities, targets, and a small policy builder. */
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import type { Identity } from '../../src/identity/types.js';
import type { CompiledPolicy } from '../../src/policy/compiled.js';
import type { MatchTarget } from '../../src/policy/evaluate.js';
import { loadPolicy } from '../../src/policy/load.js';
import { formatProblem, type Validated } from '../../src/util/problems.js';

/** An identity with the given fields; everything else empty. */
export function identity(fields: Partial<Identity> & { username: string }): Identity {
  return { sub: `sub-${fields.username}`, email: `${fields.username}@example.com`, name: fields.username, roles: [], groups: [], scopes: [], via: 'bearer', ...fields };
}

/** alice, the viewer. */
export const alice = identity({ username: 'alice', roles: ['viewer'], groups: ['/data/team-a'], scopes: ['openid', 'profile'] });
/** bob, the engineer (also a Prefect client-role operator). */
export const bob = identity({ username: 'bob', roles: ['engineer', 'prefect:operator'], groups: ['/data/team-b'], scopes: ['openid', 'api:write'] });
/** carol, the admin, in /platform/admins. */
export const carol = identity({ username: 'carol', roles: ['admin', 'engineer', 'viewer'], groups: ['/platform/admins'], scopes: ['openid'] });
/** No identity at all. */
export const anonymous = undefined;

/** A target for `method host path` (host as the adapters give it: lower-case, no port). */
export function target(method: string, host: string, path: string): MatchTarget {
  return { method, host, path };
}

/** A rule as written in YAML (the builder's input). */
export interface RuleInput {
  readonly name: string;
  readonly hosts?: readonly string[];
  readonly paths?: readonly string[];
  readonly methods?: readonly string[];
  readonly allow?: unknown;
  readonly deny?: unknown;
}

/** The YAML text of a policy with these rules. */
export function policyYaml(rules: readonly RuleInput[], policyDefault: 'deny' | 'authenticated' = 'deny'): string {
  return stringify({ version: 1, default: policyDefault, rules });
}

/** Loads the YAML text as `policy.yaml`. */
export function load(text: string): Validated<CompiledPolicy> {
  return loadPolicy(text, 'policy.yaml');
}

/** Builds and loads a policy, failing the test on any error. */
export function buildPolicy(rules: readonly RuleInput[], policyDefault: 'deny' | 'authenticated' = 'deny'): CompiledPolicy {
  const r = load(policyYaml(rules, policyDefault));
  assert.deepEqual(r.errors.map(formatProblem), [], 'fixture policy must be valid');
  assert.ok(r.value !== undefined);
  return r.value;
}

/** Every problem of `text`, formatted, errors first then warnings prefixed `warning: `. */
export function problems(text: string): string[] {
  const r = load(text);
  return [...r.errors.map(formatProblem), ...r.warnings.map((w) => `warning: ${formatProblem(w)}`)];
}
