/** Shared helpers of policy and test-case validation: problem collection with positions, type guards. */
import { suggest } from '../config/suggest.js';
import { describe, type Problem } from '../util/problems.js';
import { problemAt, type YamlSource } from '../util/yaml-source.js';

/** A path into the YAML document. */
export type DocPath = readonly (string | number)[];

/** Collects problems against one YAML source. */
export interface Collector {
  readonly src: YamlSource;
  readonly errors: Problem[];
  readonly warnings: Problem[];
}

/** A new, empty collector for `src`. */
export function collector(src: YamlSource): Collector {
  return { src, errors: [], warnings: [] };
}

/** Records an error at `path` (the key itself when `key` is true), labelled `label`. */
export function fail(c: Collector, path: DocPath, label: string, message: string, key = false): void {
  c.errors.push(problemAt(c.src, path, label, message, key));
}

/** Records a warning at `path`, labelled `label`. */
export function warn(c: Collector, path: DocPath, label: string, message: string): void {
  c.warnings.push(problemAt(c.src, path, label, message));
}

/** Type guard: a YAML mapping (plain object). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reports every key of `obj` not in `allowed` (with "did you mean" when one is close); returns true when there were none. */
export function checkKeys(c: Collector, obj: Record<string, unknown>, path: DocPath, label: string, allowed: readonly string[], where = ''): boolean {
  let ok = true;
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    ok = false;
    const hint = suggest(key, allowed);
    const guess = hint === undefined ? '' : `, did you mean ${JSON.stringify(hint)}?`;
    fail(c, [...path, key], label, `unknown key ${JSON.stringify(key)}${where}${guess} (allowed: ${allowed.join(', ')})`, true);
  }
  return ok;
}

/**
 * Reads `value` as a non-empty list of non-empty strings named `field`; reports problems and returns
 * undefined when it is not one. `what` names the elements, e.g. "host patterns".
 */
export function stringList(c: Collector, value: unknown, path: DocPath, label: string, field: string, what: string): string[] | undefined {
  if (!Array.isArray(value)) {
    fail(c, path, label, `${field} must be a non-empty list of ${what}, got ${describe(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    fail(c, path, label, `${field} must not be an empty list (list at least one of ${what}, or omit the key)`);
    return undefined;
  }
  const out: string[] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item === 'string' && item !== '') out.push(item);
    else fail(c, [...path, i], label, `${field} must be ${what} (non-empty strings), got ${describe(item)}`);
  });
  return out.length === value.length ? out : undefined;
}

/** A rule label for messages: `rules[3] "prefect-run"`, or `rules[3]` when it has no usable name. */
export function ruleLabel(index: number, raw: unknown): string {
  const name = isRecord(raw) ? raw['name'] : undefined;
  return typeof name === 'string' && name !== '' ? `rules[${index}] ${describe(name)}` : `rules[${index}]`;
}

/** Problems in file order; a stable sort keeps the validator's order among problems at one position. */
export function byPosition(problems: readonly Problem[]): Problem[] {
  const key = (p: Problem): number => (p.source.kind === 'file' ? p.source.line * 1e6 + p.source.column : 0);
  return [...problems].sort((a, b) => key(a) - key(b));
}
