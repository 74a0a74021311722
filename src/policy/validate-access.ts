/** Validation of a rule's `allow` / `deny` (DESIGN §5), including role/group templates and their captures. */
import { describe } from '../util/problems.js';
import { CONDITION_KEYS, type Access, type ClaimCondition, type ConditionBlock, type ConditionKey } from './compiled.js';
import { parseTemplate, type ParsedTemplate, type Template } from './template.js';
import { checkKeys, fail, isRecord, stringList, type Collector, type DocPath } from './validate-helpers.js';

/** What the template check needs to know about the rule's path captures. */
export interface CaptureScope {
  /** Names captured by every path pattern of the rule; undefined when the rule has no paths. */
  readonly captured: readonly string[] | undefined;
}

/** Parsed templates by source, shared (templates are immutable); cleared when large. */
const TEMPLATES = new Map<string, ParsedTemplate>();
const TEMPLATE_CACHE_LIMIT = 50_000;

const ALLOW_SHAPES = 'public, authenticated, a condition block or a list of condition blocks';

/** Validates `allow` and `deny` of rule `raw` at `path`; returns its Access, or undefined after reporting. */
export function validateAccess(c: Collector, raw: Record<string, unknown>, path: DocPath, label: string, scope: CaptureScope): Access | undefined {
  if (TEMPLATES.size > TEMPLATE_CACHE_LIMIT) TEMPLATES.clear();
  const hasAllow = 'allow' in raw;
  const hasDeny = 'deny' in raw;
  if (hasAllow && hasDeny) {
    fail(c, [...path, 'deny'], label, 'a rule has either allow or deny, not both', true);
    return undefined;
  }
  if (!hasAllow && !hasDeny) {
    fail(c, path, label, `needs allow (${ALLOW_SHAPES}) or deny: true`);
    return undefined;
  }
  if (hasDeny) {
    if (raw['deny'] === true) return { kind: 'deny' };
    fail(c, [...path, 'deny'], label, `deny must be true (omit it and use allow otherwise), got ${describe(raw['deny'])}`);
    return undefined;
  }
  return validateAllow(c, raw['allow'], [...path, 'allow'], label, scope);
}

function validateAllow(c: Collector, value: unknown, path: DocPath, label: string, scope: CaptureScope): Access | undefined {
  if (value === 'public' || value === 'authenticated') return { kind: value };
  if (isRecord(value)) {
    const block = validateBlock(c, value, path, label, 'allow', scope);
    return block === undefined ? undefined : { kind: 'conditions', blocks: [block] };
  }
  if (!Array.isArray(value)) {
    fail(c, path, label, `allow must be ${ALLOW_SHAPES}, got ${describe(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    fail(c, path, label, 'allow must not be an empty list (list at least one condition block)');
    return undefined;
  }
  const blocks: ConditionBlock[] = [];
  value.forEach((item: unknown, i) => {
    const where = `allow[${i}]`;
    if (!isRecord(item)) {
      fail(c, [...path, i], label, `${where} must be a condition block (${CONDITION_KEYS.join(', ')}), got ${describe(item)}`);
      return;
    }
    const block = validateBlock(c, item, [...path, i], label, where, scope);
    if (block !== undefined) blocks.push(block);
  });
  return blocks.length === value.length ? { kind: 'conditions', blocks } : undefined;
}

function validateBlock(c: Collector, obj: Record<string, unknown>, path: DocPath, label: string, where: string, scope: CaptureScope): ConditionBlock | undefined {
  const before = c.errors.length;
  const onlyKnownKeys = checkKeys(c, obj, path, label, CONDITION_KEYS, ` in ${where}`);
  if (!CONDITION_KEYS.some((k) => k in obj)) {
    // With unknown keys, their error already lists the allowed ones.
    if (onlyKnownKeys) fail(c, path, label, `${where} must have at least one of ${CONDITION_KEYS.join(', ')}`);
    return undefined;
  }
  const templates = (key: ConditionKey, group: boolean): Template[] | undefined =>
    key in obj ? validateTemplates(c, obj[key], [...path, key], label, `${where}.${key}`, group, scope) : undefined;
  const plain = (key: ConditionKey, what: string): string[] | undefined =>
    key in obj ? stringList(c, obj[key], [...path, key], label, `${where}.${key}`, what) : undefined;
  const block: ConditionBlock = {
    anyRole: templates('anyRole', false),
    allRoles: templates('allRoles', false),
    anyGroup: templates('anyGroup', true),
    users: plain('users', 'user names'),
    scopes: validateScopes(c, plain('scopes', 'scope names'), [...path, 'scopes'], label, `${where}.scopes`),
    clients: plain('clients', 'client ids (azp)'),
    claims: 'claims' in obj ? validateClaims(c, obj['claims'], [...path, 'claims'], label, `${where}.claims`) : undefined,
    acr: plain('acr', 'acr values'),
    amr: plain('amr', 'amr values'),
    maxAuthAge: 'maxAuthAge' in obj ? validateMaxAuthAge(c, obj['maxAuthAge'], [...path, 'maxAuthAge'], label, `${where}.maxAuthAge`) : undefined,
  };
  return c.errors.length === before ? block : undefined;
}

const CLAIM_VALUES = 'a string, a boolean, or a non-empty list of strings and booleans';

/** `claims`: a non-empty map of top-level claim name to an allowed value or list of allowed values. */
function validateClaims(c: Collector, value: unknown, path: DocPath, label: string, field: string): ClaimCondition[] | undefined {
  if (!isRecord(value) || Object.keys(value).length === 0) {
    fail(c, path, label, `${field} must be a non-empty mapping of top-level claim names to ${CLAIM_VALUES}, got ${describe(value)}`);
    return undefined;
  }
  const out: ClaimCondition[] = [];
  for (const [name, raw] of Object.entries(value)) {
    const at = [...path, name];
    if (name === '' || name.includes('.')) {
      fail(c, at, label, `${field} names top-level claims (nested claims are not supported), got ${describe(name)}`, true);
      continue;
    }
    const given: unknown[] = Array.isArray(raw) ? raw : [raw];
    const values = given.filter(isClaimOperand);
    if (values.length === 0 || values.length !== given.length) {
      const hint = given.some((v) => typeof v === 'number') ? ' (quote numbers: claims are compared as strings or booleans)' : '';
      fail(c, at, label, `${field}.${name} must be ${CLAIM_VALUES}${hint}, got ${describe(raw)}`);
      continue;
    }
    out.push({ name, values });
  }
  return out.length === Object.keys(value).length ? out : undefined;
}

function isClaimOperand(v: unknown): v is string | boolean {
  return typeof v === 'boolean' || (typeof v === 'string' && v !== '');
}

/** `maxAuthAge`: whole seconds since `auth_time`, at least 1. */
function validateMaxAuthAge(c: Collector, value: unknown, path: DocPath, label: string, field: string): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  fail(c, path, label, `${field} must be a whole number of seconds since sign-in (auth_time), at least 1, got ${describe(value)}`);
  return undefined;
}

function validateScopes(c: Collector, scopes: string[] | undefined, path: DocPath, label: string, field: string): string[] | undefined {
  scopes?.forEach((s, i) => {
    if (/\s/.test(s)) fail(c, [...path, i], label, `${field} must be single scope names without spaces, got ${describe(s)}`);
  });
  return scopes;
}

function validateTemplates(c: Collector, value: unknown, path: DocPath, label: string, field: string, group: boolean, scope: CaptureScope): Template[] | undefined {
  const what = group ? 'group paths' : 'role names';
  const items = stringList(c, value, path, label, field, what);
  if (items === undefined) return undefined;
  const out: Template[] = [];
  items.forEach((item, i) => {
    const at = [...path, i];
    if (group && !/^\/[^/]/.test(item)) {
      fail(c, at, label, `${field} must be group paths starting with "/" (e.g. "/platform/admins"), got ${describe(item)}`);
      return;
    }
    if (group && (item.endsWith('/') || item.includes('//'))) {
      fail(c, at, label, `${field} must be group paths without empty segments or a trailing "/", got ${describe(item)}`);
      return;
    }
    const star = starProblem(item, group);
    if (star !== undefined) {
      fail(c, at, label, `${field} ${star}, got ${describe(item)}`);
      return;
    }
    const parsed = TEMPLATES.get(item) ?? parseTemplate(item);
    TEMPLATES.set(item, parsed);
    if (!parsed.ok) {
      fail(c, at, label, `${field} ${parsed.message}`);
      return;
    }
    const missing = parsed.template.vars.filter((v) => !(scope.captured ?? []).includes(v));
    for (const v of missing) fail(c, at, label, uncapturedMessage(field, item, v, scope));
    if (missing.length === 0) out.push(parsed.template);
  });
  return out.length === items.length ? out : undefined;
}

/** Why a `*` pattern is refused: one that matches every role or group, or `**` (a `*` already spans one or more characters). */
function starProblem(item: string, group: boolean): string | undefined {
  if (item === '*' || (group && item === '/*')) return `must not be only "*": it would match every ${group ? 'group' : 'role'}; list the ${group ? 'groups' : 'roles'} or use allow: authenticated`;
  if (item.includes('**')) return 'must not contain "**": a "*" already matches one or more characters';
  return undefined;
}

function uncapturedMessage(field: string, item: string, name: string, scope: CaptureScope): string {
  const head = `${field} uses {${name}} in ${JSON.stringify(item)}, but`;
  if (scope.captured === undefined) return `${head} the rule has no paths, so nothing is captured`;
  const have = scope.captured.length === 0 ? 'none' : scope.captured.map((n) => `{${n}}`).join(', ');
  return `${head} {${name}} is not captured by every path pattern of the rule (captured by all: ${have})`;
}
