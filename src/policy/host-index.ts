/**
 * The rule index. Rules are grouped by exact host (a rule with `*.domain` joins every exact host it
 * covers), and within a group by the first path segment their patterns require. A request therefore
 * walks only the rules that can match its host and first segment: its host's list and the any-host
 * list, merged in policy order, so first-match-wins stays exact. Built once at compile time.
 */
import type { Candidate, RuleSpec } from './compiled.js';

/**
 * Candidate rules of one host group: first path segment → first candidate of a list linked in policy
 * order. The list under
 * OTHER_SEGMENT serves every other segment (rules whose patterns do not start with a literal).
 */
export type Bucket = ReadonlyMap<string, Candidate>;

/** Key of the fallback list in a Bucket; NUL can never be part of a normalised path. */
export const OTHER_SEGMENT = '\u0000';

/**
 * Makes the Candidate for a rule index. Each list gets fresh Candidate objects, allocated together,
 * so one request touches a few adjacent cache lines instead of objects spread over the heap.
 */
export type CandidateFactory = (index: number, next: Candidate | undefined) => Candidate;

/** The index of a compiled policy. */
export interface HostIndex {
  /** Exact host → its bucket (rules naming the host, directly or through a covering wildcard). */
  readonly byHost: ReadonlyMap<string, Bucket>;
  /** Bucket of the rules without hosts. */
  readonly anyHost: Bucket;
  /** Wildcard suffix (`.example.com`) → indexes of rules with that wildcard, ascending. */
  readonly bySuffix: ReadonlyMap<string, readonly number[]>;
  /** Per rule: the first path segments it can match, or undefined when it can match any. */
  readonly firstSegments: readonly (readonly string[] | undefined)[];
  readonly makeCandidate: CandidateFactory;
  /** Bounded cache of buckets for hosts no rule names exactly (the Host header is client-controlled). */
  readonly cache: Map<string, Bucket>;
}

/** Most buckets remembered for hosts outside `byHost`. */
export const HOST_CACHE_LIMIT = 4096;

const EMPTY_BUCKET: Bucket = new Map();

/** Builds the index for rules given in policy order. */
export function buildHostIndex(rules: readonly RuleSpec[], makeCandidate: CandidateFactory): HostIndex {
  const exact = new Map<string, number[]>();
  const bySuffix = new Map<string, number[]>();
  const anyHost: number[] = [];
  for (const rule of rules) {
    if (rule.hosts === undefined) {
      anyHost.push(rule.index);
      continue;
    }
    for (const pattern of rule.hosts) {
      if (pattern.kind === 'exact') pushOnce(exact, pattern.host, rule.index);
      else pushOnce(bySuffix, pattern.suffix, rule.index);
    }
  }
  const firstSegments = rules.map(ruleFirstSegments);
  const build = (list: readonly number[] | Int32Array): Bucket => buildBucket(list, firstSegments, makeCandidate);
  const byHost = new Map<string, Bucket>();
  for (const [host, own] of exact) byHost.set(host, build(mergeSorted([own, ...suffixLists(bySuffix, host)])));
  return { byHost, anyHost: build(anyHost), bySuffix, firstSegments, makeCandidate, cache: new Map() };
}

/** The bucket of `host` (lower-case, no port); any-host rules are in `index.anyHost`, not here. */
export function bucketFor(index: HostIndex, host: string): Bucket {
  const known = index.byHost.get(host) ?? index.cache.get(host);
  if (known !== undefined) return known;
  if (index.bySuffix.size === 0) return EMPTY_BUCKET;
  const lists = suffixLists(index.bySuffix, host);
  const found = lists.length === 0 ? EMPTY_BUCKET : buildBucket(mergeSorted(lists), index.firstSegments, index.makeCandidate);
  if (index.cache.size >= HOST_CACHE_LIMIT) {
    const oldest = index.cache.keys().next();
    if (oldest.done !== true) index.cache.delete(oldest.value);
  }
  index.cache.set(host, found);
  return found;
}

/** First candidate of `bucket` for a path whose first segment is `segment` (follow `next` for the rest). */
export function candidates(bucket: Bucket, segment: string): Candidate | undefined {
  return bucket.get(segment) ?? bucket.get(OTHER_SEGMENT);
}

/** The first segment of a normalised path: `api` for `/api/x`, '' for `/`. */
export function firstSegment(path: string): string {
  const slash = path.indexOf('/', 1);
  return slash === -1 ? path.slice(1) : path.slice(1, slash);
}

/** First segments a rule can match: one per pattern, or undefined when a pattern starts with a wildcard. */
function ruleFirstSegments(rule: RuleSpec): readonly string[] | undefined {
  if (rule.paths === undefined) return undefined;
  const out: string[] = [];
  for (const pattern of rule.paths) {
    const first = pattern.tokens[0];
    if (first === undefined) out.push(''); // the root pattern "/"
    else if (first.kind === 'literal') out.push(first.text);
    else return undefined;
  }
  return out;
}

/**
 * Splits ascending rule indexes by first segment. Wildcard-first rules join every segment list;
 * if that would multiply memory (many segments × many such rules), the bucket stays a flat list.
 */
function buildBucket(list: readonly number[] | Int32Array, firstSegments: readonly (readonly string[] | undefined)[], make: CandidateFactory): Bucket {
  const keyed = new Map<string, number[]>();
  const rest: number[] = [];
  for (const r of list) {
    const segments = firstSegments[r];
    if (segments === undefined) rest.push(r);
    else for (const s of segments) pushOnce(keyed, s, r);
  }
  const bucket = new Map<string, Candidate>();
  const put = (segment: string, indexes: readonly number[] | Int32Array): void => {
    let head: Candidate | undefined;
    for (const r of Array.from(indexes).reverse()) head = make(r, head);
    if (head !== undefined) bucket.set(segment, head);
  };
  if (keyed.size * rest.length > Math.max(1 << 16, 4 * list.length)) {
    put(OTHER_SEGMENT, list);
    return bucket;
  }
  for (const [segment, own] of keyed) put(segment, mergeSorted([own, rest]));
  put(OTHER_SEGMENT, rest);
  return bucket;
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
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return Int32Array.from(nonEmpty[0] ?? []);
  const all = new Set<number>();
  for (const list of nonEmpty) for (const n of list) all.add(n);
  return Int32Array.from(all).sort();
}
