/**
 * Shadowed-rule detection: a later rule is unreachable when an earlier rule matches a superset of its
 * hosts, methods and paths (matching depends only on the target, and the first match wins).
 * Conservative: a pair is reported only when the superset is proven.
 */
import type { CompiledRule } from './compiled.js';
import { hostCovers } from './host-pattern.js';
import type { HostIndex } from './host-index.js';
import { patternCovers } from './path-pattern.js';

/** One unreachable rule and the earlier rule that hides it. */
export interface Shadowed {
  readonly rule: CompiledRule;
  readonly by: CompiledRule;
}

/** Finds every rule hidden by an earlier one, using the host index to limit comparisons. */
export function findShadowed(rules: readonly CompiledRule[], index: HostIndex): Shadowed[] {
  const out: Shadowed[] = [];
  for (const rule of rules) {
    const by = firstShadower(rules, index, rule);
    if (by !== undefined) out.push({ rule, by });
  }
  return out;
}

function firstShadower(rules: readonly CompiledRule[], index: HostIndex, rule: CompiledRule): CompiledRule | undefined {
  // Earlier rules able to cover every host of `rule`: any-host rules, plus (when `rule` has hosts)
  // the rules indexed under its first host; a shadower must cover that host too.
  const candidates: number[] = [];
  for (const i of index.anyHost) if (i < rule.index) candidates.push(i);
  const first = rule.hosts?.[0];
  if (first !== undefined) {
    if (first.kind === 'exact') {
      for (const i of index.byHost.get(first.host) ?? []) if (i < rule.index) candidates.push(i);
    } else {
      for (const [suffix, list] of index.bySuffix) {
        if (first.suffix === suffix || first.suffix.endsWith(suffix)) for (const i of list) if (i < rule.index) candidates.push(i);
      }
    }
  }
  candidates.sort((a, b) => a - b);
  for (const i of candidates) {
    const earlier = rules[i];
    if (earlier !== undefined && covers(earlier, rule)) return earlier;
  }
  return undefined;
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
