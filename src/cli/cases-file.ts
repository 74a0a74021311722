/** Validation of a policy test-cases file (DESIGN §8), with file:line:column for every problem. */
import type { ClaimValue, Identity } from '../identity/types.js';
import { byPosition, checkKeys, collector, fail, isRecord, type Collector, type DocPath } from '../policy/validate-helpers.js';
import { describe, type Validated } from '../util/problems.js';
import { parseYamlSource } from '../util/yaml-source.js';
import { simpleClaims } from '../identity/claims.js';
import { makeIdentity } from './identity-flags.js';
import { targetFromUrl } from './target-url.js';

/** The decisions a case can expect. */
export const EXPECTATIONS = ['allow', 'deny', 'unauthenticated', 'bad_request'] as const;

/** One of EXPECTATIONS. */
export type Expectation = (typeof EXPECTATIONS)[number];

/** One validated test case. */
export interface TestCase {
  readonly index: number;
  readonly name: string;
  readonly method: string;
  readonly url: string;
  /** Undefined: anonymous. */
  readonly identity: Identity | undefined;
  readonly expect: Expectation;
  /** The rule that must decide, when given. */
  readonly rule: string | undefined;
}

const CASE_KEYS = ['name', 'request', 'identity', 'expect', 'rule'] as const;
const REQUEST_KEYS = ['method', 'url'] as const;
const IDENTITY_KEYS = ['user', 'roles', 'groups', 'scopes', 'client', 'acr', 'amr', 'authAge', 'claims'] as const;

/**
 * The clock of policy test cases (epoch ms): a fixed instant, so a case's `authAge` (seconds since sign-in)
 * gives the same decision on every run. `auth_time` is this instant minus `authAge`.
 */
export const CASES_NOW = Date.UTC(2026, 0, 1);

/** Parses and validates a cases file; a value only when every case is valid. */
export function loadCases(text: string, file: string): Validated<TestCase[]> {
  const src = parseYamlSource(text, file);
  if (src.errors.length > 0) return { errors: src.errors, warnings: [] };
  const c = collector(src);
  const doc = src.value;
  if (!isRecord(doc)) {
    fail(c, [], '', `a cases file must be a mapping with a "cases" list, got ${doc === undefined || doc === null ? 'an empty document' : describe(doc)}`);
    return { errors: c.errors, warnings: [] };
  }
  checkKeys(c, doc, [], '', ['cases']);
  const list = doc['cases'];
  if (!Array.isArray(list) || list.length === 0) {
    fail(c, 'cases' in doc ? ['cases'] : [], '', `cases must be a non-empty list of test cases, got ${'cases' in doc ? describe(list) : 'nothing'}`);
    return { errors: c.errors, warnings: [] };
  }
  const names = new Map<string, number>();
  const out: TestCase[] = [];
  list.forEach((raw: unknown, i) => {
    const tc = validateCase(c, raw, i, names);
    if (tc !== undefined) out.push(tc);
  });
  return c.errors.length === 0 ? { value: out, errors: [], warnings: [] } : { errors: byPosition(c.errors), warnings: [] };
}

function validateCase(c: Collector, raw: unknown, index: number, names: Map<string, number>): TestCase | undefined {
  const path: DocPath = ['cases', index];
  const rawName = isRecord(raw) ? raw['name'] : undefined;
  const label = typeof rawName === 'string' && rawName !== '' ? `cases[${index}] ${describe(rawName)}` : `cases[${index}]`;
  if (!isRecord(raw)) {
    fail(c, path, label, `a case must be a mapping (${CASE_KEYS.join(', ')}), got ${describe(raw)}`);
    return undefined;
  }
  const before = c.errors.length;
  checkKeys(c, raw, path, label, CASE_KEYS);
  const name = requiredString(c, raw, path, label, 'name', 'a non-empty string');
  if (name !== undefined) {
    const first = names.get(name);
    if (first !== undefined) fail(c, [...path, 'name'], label, `name must be unique, but ${JSON.stringify(name)} is already used by cases[${first}]`);
    else names.set(name, index);
  }
  const request = validateRequest(c, raw['request'], 'request' in raw, path, label);
  const identity = 'identity' in raw ? validateIdentity(c, raw['identity'], [...path, 'identity'], label) : undefined;
  const expect = raw['expect'];
  const expectation = EXPECTATIONS.find((e) => e === expect);
  if (expectation === undefined) fail(c, 'expect' in raw ? [...path, 'expect'] : path, label, `expect must be one of ${EXPECTATIONS.join(', ')}, got ${'expect' in raw ? describe(expect) : 'nothing'}`);
  const rule = 'rule' in raw ? requiredString(c, raw, path, label, 'rule', 'a rule name') : undefined;
  if (c.errors.length !== before || name === undefined || request === undefined || expectation === undefined) return undefined;
  return { index, name, method: request.method, url: request.url, identity: identity ?? undefined, expect: expectation, rule };
}

function validateRequest(c: Collector, raw: unknown, present: boolean, path: DocPath, label: string): { method: string; url: string } | undefined {
  const at = [...path, 'request'];
  if (!isRecord(raw)) {
    fail(c, present ? at : path, label, `request must be a mapping with method and url, got ${present ? describe(raw) : 'nothing'}`);
    return undefined;
  }
  checkKeys(c, raw, at, label, REQUEST_KEYS, ' in request');
  const method = requiredString(c, raw, at, label, 'method', 'an HTTP method', 'request.');
  const url = requiredString(c, raw, at, label, 'url', 'an absolute http(s) URL', 'request.');
  if (method === undefined || url === undefined) return undefined;
  const t = targetFromUrl(method, url);
  if (!t.ok && t.kind === 'invalid_url') {
    fail(c, [...at, t.detail.startsWith('method') ? 'method' : 'url'], label, `request.${t.detail}`);
    return undefined;
  }
  return { method, url };
}

/** `null` for an explicit anonymous identity is refused: omit the key instead. */
function validateIdentity(c: Collector, raw: unknown, at: DocPath, label: string): Identity | undefined {
  if (!isRecord(raw)) {
    fail(c, at, label, `identity must be a mapping (${IDENTITY_KEYS.join(', ')}); omit it for an anonymous request, got ${describe(raw)}`);
    return undefined;
  }
  checkKeys(c, raw, at, label, IDENTITY_KEYS, ' in identity');
  const user = 'user' in raw ? requiredString(c, raw, at, label, 'user', 'a username', 'identity.') : '';
  const lists = { roles: [] as string[], groups: [] as string[], scopes: [] as string[] };
  for (const key of ['roles', 'groups', 'scopes'] as const) {
    if (!(key in raw)) continue;
    const value = raw[key];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
      fail(c, [...at, key], label, `identity.${key} must be a list of non-empty strings, got ${describe(value)}`);
      continue;
    }
    lists[key] = value as string[];
  }
  const badGroup = lists.groups.findIndex((g) => !g.startsWith('/'));
  if (badGroup !== -1) fail(c, [...at, 'groups', badGroup], label, `identity.groups must be full group paths starting with "/", got ${describe(lists.groups[badGroup])}`);
  const context = authContextOf(c, raw, at, label);
  return user === undefined ? undefined : { ...makeIdentity(user, lists.roles, lists.groups, lists.scopes), ...context };
}

/** `client`, `acr`, `amr`, `authAge` and `claims` of a case identity, as a verified token would give them. */
function authContextOf(c: Collector, raw: Record<string, unknown>, at: DocPath, label: string): Pick<Identity, 'client' | 'acr' | 'amr' | 'authTime' | 'claims'> {
  const client = 'client' in raw ? requiredString(c, raw, at, label, 'client', 'a client id (azp)', 'identity.') : undefined;
  const acr = 'acr' in raw ? requiredString(c, raw, at, label, 'acr', 'an acr value', 'identity.') : undefined;
  let amr: string[] | undefined;
  if ('amr' in raw) {
    const value = raw['amr'];
    if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')) amr = value.filter((v): v is string => typeof v === 'string');
    else fail(c, [...at, 'amr'], label, `identity.amr must be a list of non-empty strings, got ${describe(value)}`);
  }
  let authTime: number | undefined;
  if ('authAge' in raw) {
    const age = raw['authAge'];
    if (typeof age === 'number' && Number.isInteger(age) && age >= 0) authTime = CASES_NOW / 1000 - age;
    else fail(c, [...at, 'authAge'], label, `identity.authAge must be whole seconds since sign-in (0 or more), got ${describe(age)}`);
  }
  const claims = 'claims' in raw ? claimsOf(c, raw['claims'], [...at, 'claims'], label) : undefined;
  return {
    ...(client !== undefined ? { client } : {}),
    ...(acr !== undefined ? { acr } : {}),
    ...(amr !== undefined ? { amr } : {}),
    ...(authTime !== undefined ? { authTime } : {}),
    ...(claims !== undefined ? { claims } : {}),
  };
}

/**
 * `claims`: a mapping of claim name to any JSON value. Values the token narrowing keeps (strings, booleans,
 * string lists) are kept; others (numbers, objects) are dropped exactly as for a real token, so a case can
 * show that a claim of the wrong type fails closed.
 */
function claimsOf(c: Collector, value: unknown, at: DocPath, label: string): Record<string, ClaimValue> | undefined {
  if (!isRecord(value)) {
    fail(c, at, label, `identity.claims must be a mapping of claim names to values, got ${describe(value)}`);
    return undefined;
  }
  return { ...simpleClaims(value) };
}

function requiredString(c: Collector, raw: Record<string, unknown>, at: DocPath, label: string, key: string, what: string, prefix = ''): string | undefined {
  const value = raw[key];
  if (typeof value === 'string' && value !== '') return value;
  fail(c, key in raw ? [...at, key] : at, label, `${prefix}${key} must be ${what}, got ${key in raw ? describe(value) : 'nothing'}`);
  return undefined;
}
