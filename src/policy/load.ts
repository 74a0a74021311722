/** Loads a policy from YAML text: parse, validate, compile, and warn about shadowed rules. Never throws. */
import type { Problem, Validated } from '../util/problems.js';
import { parseYamlFast } from '../util/yaml-fast.js';
import { parseYamlSource } from '../util/yaml-source.js';
import type { CompiledPolicy } from './compiled.js';
import { compilePolicy } from './compile.js';
import { findShadowed, SHADOW_BUDGET } from './shadow.js';
import { validatePolicy } from './validate.js';
import { byPosition, collector, warn, type Collector } from './validate-helpers.js';

/** Parses, validates and compiles policy `text` (named `file` in problems); a value only without errors. */
export function loadPolicy(text: string, file: string): Validated<CompiledPolicy> {
  try {
    // The fast parser covers the usual subset; on anything else, or when the policy has errors,
    // the full parser runs so that every problem gets its exact position.
    const fast = parseYamlFast(text, file);
    if (fast !== undefined) {
      const result = validateAndCompile(collector(fast));
      if (result.errors.length === 0) return result;
    }
    const src = parseYamlSource(text, file);
    if (src.errors.length > 0) return { errors: src.errors, warnings: [] };
    const result = validateAndCompile(collector(src));
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

function validateAndCompile(c: Collector): Validated<CompiledPolicy> {
  const spec = validatePolicy(c);
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
