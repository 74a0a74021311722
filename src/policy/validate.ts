/**
 * Validation of a parsed policy document (DESIGN §5). Pure; reports every problem at once, each
 * with its position, the constraint, the allowed values and the actual value.
 */
import { describe } from '../util/problems.js';
import { HTTP_METHODS, type HttpMethod, type PolicyDefault, type PolicySpec, type RuleSpec } from './compiled.js';
import { parseHostPattern, type HostPattern } from './host-pattern.js';
import { parsePathPattern, type ParsedPathPattern, type PathPattern } from './path-pattern.js';
import { validateHeaders } from './upstream-headers.js';
import { validateAccess } from './validate-access.js';
import { checkKeys, fail, isRecord, ruleLabel, stringList, type Collector, type DocPath } from './validate-helpers.js';

const TOP_KEYS = ['version', 'default', 'rules', 'caseInsensitivePaths'] as const;
const RULE_KEYS = ['name', 'hosts', 'paths', 'methods', 'allow', 'deny', 'headers'] as const;
const DEFAULTS: readonly PolicyDefault[] = ['deny', 'authenticated'];
const NAME = /^[a-z0-9-]+$/;
/**
 * Parsed path patterns by source, shared across rules and loads: patterns are immutable, and many
 * hosts reuse the same shapes, so sharing keeps the per-request working set small. Bounded.
 */
const PATTERNS = new Map<string, ParsedPathPattern>();
const PATH_LISTS = new Map<string, PathPattern[]>();
const PATTERN_CACHE_LIMIT = 50_000;

/** Validates the document of `c.src`; returns the spec when there were no errors. */
export function validatePolicy(c: Collector): PolicySpec | undefined {
  const doc = c.src.value;
  if (!isRecord(doc)) {
    const got = doc === undefined || doc === null ? 'an empty document' : describe(doc);
    fail(c, [], '', `the policy must be a mapping with version: 1, default and rules, got ${got}`);
    return undefined;
  }
  checkKeys(c, doc, [], '', TOP_KEYS);
  if (!('version' in doc)) fail(c, [], '', 'version is required and must be 1');
  else if (doc['version'] !== 1) fail(c, ['version'], '', `version must be 1, got ${describe(doc['version'])}`);
  let policyDefault: PolicyDefault = 'deny';
  const rawDefault = doc['default'];
  if (rawDefault !== undefined) {
    if (DEFAULTS.includes(rawDefault as PolicyDefault)) policyDefault = rawDefault as PolicyDefault;
    else fail(c, ['default'], '', `default must be one of ${DEFAULTS.join(', ')}, got ${describe(rawDefault)}`);
  }
  const rules = validateRules(c, doc['rules'], 'rules' in doc);
  const caseInsensitivePaths = doc['caseInsensitivePaths'];
  if (caseInsensitivePaths !== undefined && typeof caseInsensitivePaths !== 'boolean') fail(c, ['caseInsensitivePaths'], '', `caseInsensitivePaths must be true or false, got ${describe(caseInsensitivePaths)}`);
  if (c.errors.length > 0 || rules === undefined) return undefined;
  return caseInsensitivePaths === true ? { default: policyDefault, rules, caseInsensitivePaths } : { default: policyDefault, rules };
}

function validateRules(c: Collector, value: unknown, present: boolean): RuleSpec[] | undefined {
  if (!present) {
    fail(c, [], '', 'rules is required: a non-empty list of rules');
    return undefined;
  }
  if (!Array.isArray(value)) {
    fail(c, ['rules'], '', `rules must be a non-empty list of rules, got ${describe(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    fail(c, ['rules'], '', 'rules must not be an empty list');
    return undefined;
  }
  const names = new Map<string, number>();
  const out: RuleSpec[] = [];
  if (PATTERNS.size > PATTERN_CACHE_LIMIT) PATTERNS.clear();
  if (PATH_LISTS.size > PATTERN_CACHE_LIMIT) PATH_LISTS.clear();
  value.forEach((raw: unknown, i) => {
    const rule = validateRule(c, raw, i, names);
    if (rule !== undefined) out.push(rule);
  });
  return out.length === value.length ? out : undefined;
}

function validateRule(c: Collector, raw: unknown, index: number, names: Map<string, number>): RuleSpec | undefined {
  const path: DocPath = ['rules', index];
  const label = ruleLabel(index, raw);
  if (!isRecord(raw)) {
    fail(c, path, label, `a rule must be a mapping (${RULE_KEYS.join(', ')}), got ${describe(raw)}`);
    return undefined;
  }
  const before = c.errors.length;
  checkKeys(c, raw, path, label, RULE_KEYS);
  const name = validateName(c, raw, path, label, index, names);
  const hosts = 'hosts' in raw ? validateHosts(c, raw['hosts'], [...path, 'hosts'], label) : undefined;
  const paths = 'paths' in raw ? validatePaths(c, raw['paths'], [...path, 'paths'], label) : undefined;
  const methods = 'methods' in raw ? validateMethods(c, raw['methods'], [...path, 'methods'], label) : undefined;
  const access = validateAccess(c, raw, path, label, { captured: 'paths' in raw ? commonCaptures(paths ?? []) : undefined });
  const headers = 'headers' in raw ? validateHeaders(c, raw['headers'], [...path, 'headers'], label) : undefined;
  if (headers !== undefined && access?.kind === 'deny') fail(c, [...path, 'headers'], label, 'headers only go with allow: a deny rule never answers 200');
  if (c.errors.length !== before || name === undefined || access === undefined) return undefined;
  const at = c.src.at(path);
  return { index, name, line: at.line, column: at.column, hosts, methods, paths, access, headers };
}

function validateName(c: Collector, raw: Record<string, unknown>, path: DocPath, label: string, index: number, names: Map<string, number>): string | undefined {
  const name = raw['name'];
  if (!('name' in raw)) {
    fail(c, path, label, 'name is required (lowercase letters, digits and "-")');
    return undefined;
  }
  if (typeof name !== 'string' || !NAME.test(name)) {
    fail(c, [...path, 'name'], label, `name must match [a-z0-9-]+ (lowercase letters, digits and "-"), got ${describe(name)}`);
    return undefined;
  }
  const first = names.get(name);
  if (first !== undefined) {
    fail(c, [...path, 'name'], label, `name must be unique, but ${JSON.stringify(name)} is already used by rules[${first}]`);
    return undefined;
  }
  names.set(name, index);
  return name;
}

function validateHosts(c: Collector, value: unknown, path: DocPath, label: string): HostPattern[] | undefined {
  const items = stringList(c, value, path, label, 'hosts', 'host patterns ("app.example.com" or "*.example.com")');
  if (items === undefined) return undefined;
  const out: HostPattern[] = [];
  items.forEach((item, i) => {
    const parsed = parseHostPattern(item);
    if (parsed.ok) out.push(parsed.pattern);
    else fail(c, [...path, i], label, `hosts ${parsed.message}`);
  });
  return out.length === items.length ? out : undefined;
}

function validatePaths(c: Collector, value: unknown, path: DocPath, label: string): PathPattern[] | undefined {
  const items = stringList(c, value, path, label, 'paths', 'path patterns');
  if (items === undefined) return undefined;
  const out: PathPattern[] = [];
  items.forEach((item, i) => {
    const parsed = PATTERNS.get(item) ?? parsePathPattern(item);
    if (!parsed.ok) {
      fail(c, [...path, i], label, `paths ${parsed.message}`);
      return;
    }
    PATTERNS.set(item, parsed);
    out.push(parsed.pattern);
  });
  if (out.length !== items.length) return undefined;
  // Rules repeating the same path list (e.g. per host) share one array, like the patterns themselves.
  const key = items.join('\n');
  const shared = PATH_LISTS.get(key) ?? out;
  PATH_LISTS.set(key, shared);
  return shared;
}

function validateMethods(c: Collector, value: unknown, path: DocPath, label: string): HttpMethod[] | undefined {
  const allowed = `HTTP methods (${HTTP_METHODS.join(', ')})`;
  const items = stringList(c, value, path, label, 'methods', allowed);
  if (items === undefined) return undefined;
  const out: HttpMethod[] = [];
  items.forEach((item, i) => {
    const method = HTTP_METHODS.find((m) => m === item);
    if (method !== undefined) out.push(method);
    else fail(c, [...path, i], label, `methods must be ${allowed}, got ${describe(item)}`);
  });
  return out.length === items.length ? out : undefined;
}

/** Names captured by every pattern (templates may only use these). */
function commonCaptures(patterns: readonly PathPattern[]): string[] {
  const [first, ...rest] = patterns;
  if (first === undefined) return [];
  return first.captures.filter((name) => rest.every((p) => p.captures.includes(name)));
}
