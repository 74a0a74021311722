/**
 * Host index: per exact host, the index-ordered list of rules that name it (directly or through a
 * covering `*.domain`). Rules without hosts live in a separate list, merged in order at match time,
 * so each request only walks the rules that can match its host and first-match-wins order is exact.
 */
import type { RuleSpec } from './compiled.js';

/** The host index of a compiled policy. */
export interface HostIndex {
  /** Exact host → indexes of rules whose hosts match it, ascending. */
  readonly byHost: ReadonlyMap<string, Int32Array>;
  /** Indexes of rules with hosts omitted, ascending. */
  readonly anyHost: Int32Array;
  /** Wildcard suffix (`.example.com`) → indexes of rules with that wildcard, ascending. */
  readonly bySuffix: ReadonlyMap<string, readonly number[]>;
  /** Bounded cache for hosts that no rule names exactly (e.g. only wildcard rules match them). */
  readonly cache: Map<string, Int32Array>;
}

/** Most hosts remembered for hosts outside `byHost`; the Host header is client-controlled. */
export const HOST_CACHE_LIMIT = 4096;

const EMPTY = new Int32Array(0);

/** Builds the index for rules given in policy order. */
export function buildHostIndex(rules: readonly RuleSpec[]): HostIndex {
  const exact = new Map<string, number[]>();
  const bySuffix = new Map<string, number[]>();
  const anyHost: number[] = [];
  for (const rule of rules) {
    if (rule.hosts === undefined) {
      anyHost.push(rule.index);
      continue;
    }
    for (const pattern of rule.hosts) {
      const key = pattern.kind === 'exact' ? pattern.host : pattern.suffix;
      const map = pattern.kind === 'exact' ? exact : bySuffix;
      pushOnce(map, key, rule.index);
    }
  }
  const byHost = new Map<string, Int32Array>();
  for (const [host, own] of exact) byHost.set(host, mergeSorted([own, ...suffixLists(bySuffix, host)]));
  return { byHost, anyHost: Int32Array.from(anyHost), bySuffix, cache: new Map() };
}

/** Host-specific candidate rules for `host` (lower-case, no port), ascending; any-host rules excluded. */
export function rulesForHost(index: HostIndex, host: string): Int32Array {
  const known = index.byHost.get(host) ?? index.cache.get(host);
  if (known !== undefined) return known;
  if (index.bySuffix.size === 0) return EMPTY;
  const lists = suffixLists(index.bySuffix, host);
  const found = lists.length === 0 ? EMPTY : mergeSorted(lists);
  if (index.cache.size >= HOST_CACHE_LIMIT) {
    const oldest = index.cache.keys().next();
    if (oldest.done !== true) index.cache.delete(oldest.value);
  }
  index.cache.set(host, found);
  return found;
}

function pushOnce(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

/** Rule lists of every wildcard suffix that covers `host` (a proper suffix starting at a dot). */
function suffixLists(bySuffix: ReadonlyMap<string, readonly number[]>, host: string): (readonly number[])[] {
  const out: (readonly number[])[] = [];
  if (bySuffix.size === 0) return out;
  for (let dot = host.indexOf('.', 1); dot !== -1; dot = host.indexOf('.', dot + 1)) {
    const list = bySuffix.get(host.slice(dot));
    if (list !== undefined) out.push(list);
  }
  return out;
}

/** Union of ascending lists, ascending and without duplicates. */
function mergeSorted(lists: readonly (readonly number[])[]): Int32Array {
  if (lists.length === 1) return Int32Array.from(lists[0] ?? []);
  const all = new Set<number>();
  for (const list of lists) for (const n of list) all.add(n);
  return Int32Array.from(all).sort();
}
