/** Loads a policy from YAML text: parse, validate, compile, and warn about shadowed rules. Never throws. */
import type { Problem, Validated } from '../util/problems.js';
import { parseYamlFast } from '../util/yaml-fast.js';
import { parseYamlSource } from '../util/yaml-source.js';
import type { CompiledPolicy } from './compiled.js';
import { compilePolicy } from './compile.js';
import { findShadowed, SHADOW_BUDGET } from './shadow.js';
import { validatePolicy } from './validate.js';
import { secretHeaderValue, type SecretReader, type UpstreamHeader } from './upstream-headers.js';
import { byPosition, collector, fail, warn, type Collector } from './validate-helpers.js';
import type { PolicySpec, RuleSpec } from './compiled.js';

/** Options of loadPolicy. */
export interface LoadOptions {
  /**
   * Reads the secret files of rules' upstream headers (the service and `keygate check` pass node's readFileSync).
   * Without it secrets stay unread: fine for explain and test, which never show them; the service always passes it.
   */
  readonly readSecret?: SecretReader | undefined;
}

/** Parses, validates and compiles policy `text` (named `file` in problems); a value only without errors. */
export function loadPolicy(text: string, file: string, options: LoadOptions = {}): Validated<CompiledPolicy> {
  try {
    // The fast parser covers the usual subset; on anything else, or when the policy has errors,
    // the full parser runs so that every problem gets its exact position.
    const fast = parseYamlFast(text, file);
    if (fast !== undefined) {
      const result = validateAndCompile(collector(fast), options);
      if (result.errors.length === 0) return result;
    }
    const src = parseYamlSource(text, file);
    if (src.errors.length > 0) return { errors: src.errors, warnings: [] };
    const result = validateAndCompile(collector(src), options);
    return { ...result, errors: byPosition(result.errors), warnings: byPosition(result.warnings) };
  } catch (err) {
    // Invariant: an unexpected failure yields no policy (the caller keeps the old one or refuses to start).
    const problem: Problem = {
      source: { kind: 'file', file, line: 1, column: 1 },
      path: '',
      message: `internal error while loading the policy: ${err instanceof Error ? err.message : String(err)}`,
    };
    return { errors: [problem], warnings: [] };
  }
}

function validateAndCompile(c: Collector, options: LoadOptions): Validated<CompiledPolicy> {
  const validated = validatePolicy(c);
  const spec = validated === undefined || options.readSecret === undefined ? validated : withSecrets(c, validated, options.readSecret);
  if (spec === undefined || c.errors.length > 0) return { errors: c.errors, warnings: c.warnings };
  const policy = compilePolicy(spec);
  const shadow = findShadowed(policy.rules, policy.index.firstSegments);
  for (const { rule, by } of shadow.found) {
    const label = `rules[${rule.index}] ${JSON.stringify(rule.name)}`;
    const message = `never matches: rules[${by.index}] ${JSON.stringify(by.name)} comes first and matches all of its hosts, methods and paths`;
    warn(c, ['rules', rule.index], label, message);
  }
  if (!shadow.complete) warn(c, ['rules'], '', `shadowed-rule check stopped after ${SHADOW_BUDGET} rule comparisons; later rules were not checked`);
  return { value: policy, errors: [], warnings: c.warnings };
}

/** The spec with every secret header read; a file that cannot be used is an error at its header (never its content). */
function withSecrets(c: Collector, spec: PolicySpec, read: SecretReader): PolicySpec {
  const rules = spec.rules.map((rule): RuleSpec => {
    if (rule.headers === undefined || !rule.headers.some((h) => h.value.kind === 'secret')) return rule;
    const headers = rule.headers.map((h): UpstreamHeader => {
      if (h.value.kind !== 'secret') return h;
      const label = `rules[${rule.index}] ${JSON.stringify(rule.name)}`;
      let content: string;
      try {
        content = read(h.value.file);
      } catch (err) {
        const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unreadable';
        fail(c, ['rules', rule.index, 'headers', h.name], label, `headers.${h.name}: cannot read the secret file ${h.value.file}: ${code}`);
        return h;
      }
      const secret = secretHeaderValue(content, h.value);
      if ('error' in secret) {
        fail(c, ['rules', rule.index, 'headers', h.name], label, `headers.${h.name}: the secret file ${h.value.file} ${secret.error}`);
        return h;
      }
      return { ...h, value: { ...h.value, secret } };
    });
    return { ...rule, headers };
  });
  return { ...spec, rules };
}
