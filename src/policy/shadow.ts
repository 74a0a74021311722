/**
 * Shadowed-rule detection: a later rule is unreachable when an earlier rule matches a superset of its
 * hosts, methods and paths (matching depends only on the target, and the first match wins).
 * Conservative: a pair is reported only when the superset is proven.
 */
import type { CompiledRule } from './compiled.js';
import { hostCovers } from './host-pattern.js';
import { patternCovers } from './path-pattern.js';

/** One unreachable rule and the earlier rule that hides it. */
export interface Shadowed {
  readonly rule: CompiledRule;
  readonly by: CompiledRule;
}

/** Most rule comparisons; past this the analysis stops (it only produces warnings). */
export const SHADOW_BUDGET = 2_000_000;

const ANY_SEGMENT = '\u0000';

/**
 * Finds rules hidden by an earlier one. Earlier rules are grouped by (host key, first segment key);
 * a shadower must cover the later rule's first host and first path segment, so only a few groups
 * are compared. Returns the findings and whether the budget ran out.
 */
export function findShadowed(rules: readonly CompiledRule[], firstSegments: readonly (readonly string[] | undefined)[]): { found: Shadowed[]; complete: boolean } {
  const groups = new Map<string, number[]>();
  const found: Shadowed[] = [];
  let budget = SHADOW_BUDGET;
  for (const rule of rules) {
    const segments = firstSegments[rule.index];
    const list = candidateIndexes(groups, rule, segments?.[0]);
    for (const i of list) {
      if (--budget < 0) return { found, complete: false };
      const earlier = rules[i];
      if (earlier !== undefined && covers(earlier, rule)) {
        found.push({ rule, by: earlier });
        break;
      }
    }
    for (const hostKey of hostKeys(rule)) for (const segKey of segments ?? [ANY_SEGMENT]) push(groups, `${hostKey}\n${segKey}`, rule.index);
  }
  return { found, complete: true };
}

/** Earlier rules that might cover `rule`, ascending. */
function candidateIndexes(groups: ReadonlyMap<string, readonly number[]>, rule: CompiledRule, firstSegment: string | undefined): number[] {
  const hostKeysToTry = [''];
  const first = rule.hosts?.[0];
  if (first !== undefined) {
    const name = first.kind === 'exact' ? first.host : first.suffix;
    if (first.kind === 'exact') hostKeysToTry.push(name);
    // Wildcards covering the host: `*.b.c` (suffix ".b.c") covers "a.b.c" and "*.a.b.c".
    for (let dot = name.indexOf('.', 1); dot !== -1; dot = name.indexOf('.', dot + 1)) hostKeysToTry.push(`*${name.slice(dot)}`);
    if (first.kind === 'wildcard') hostKeysToTry.push(`*${name}`);
  }
  const segKeys = firstSegment === undefined ? [ANY_SEGMENT] : [ANY_SEGMENT, firstSegment];
  const out: number[] = [];
  for (const h of hostKeysToTry) for (const s of segKeys) for (const i of groups.get(`${h}\n${s}`) ?? []) out.push(i);
  return out.sort((a, b) => a - b);
}

/** Group keys of a rule's hosts: '' (any host), the exact host, or `*` + wildcard suffix. */
function hostKeys(rule: CompiledRule): string[] {
  if (rule.hosts === undefined) return [''];
  return rule.hosts.map((h) => (h.kind === 'exact' ? h.host : `*${h.suffix}`));
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

/** True when `a` provably matches every target `b` matches. */
export function covers(a: CompiledRule, b: CompiledRule): boolean {
  if ((a.methodMask & b.methodMask) !== b.methodMask) return false;
  if (a.hosts !== undefined) {
    if (b.hosts === undefined) return false;
    const ah = a.hosts;
    if (!b.hosts.every((bh) => ah.some((h) => hostCovers(h, bh)))) return false;
  }
  if (a.paths === undefined) return true;
  const ap = a.paths;
  if (b.paths === undefined) return ap.some((p) => p.tokens.length === 1 && p.tokens[0]?.kind === 'any');
  return b.paths.every((bp) => ap.some((p) => patternCovers(p, bp)));
}
