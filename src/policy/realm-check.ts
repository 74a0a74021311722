/**
 * `keygate check --realm realm.json` (issue 13): warns about role and group values that no given
 * Keycloak realm export defines — the typo'd role that silently denies everyone. Pure: the callers
 * parse the files. A `{capture}` counts as a `*` here (any namespace the realm defines).
 */
import { suggest } from '../config/suggest.js';
import { isRecord } from './validate-helpers.js';
import type { CompiledRule, ConditionBlock } from './compiled.js';
import { globMatch } from './role-pattern.js';
import type { Template } from './template.js';

/** Names a realm export defines: realm roles as `role`, client roles as `client:role`, full group paths. */
export interface RealmNames {
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}

/** A role or group value of a rule that no realm defines. */
export interface UnknownName {
  readonly rule: CompiledRule;
  /** Where in the rule, e.g. `allow[1].anyRole`. */
  readonly field: string;
  readonly value: string;
  readonly kind: 'role' | 'group';
  /** The closest defined name, when one is close (a typo). */
  readonly hint: string | undefined;
}

/** The role and group names of a parsed realm export (`kc.sh export` / admin console partial export). */
export function realmNames(doc: unknown): RealmNames {
  const roles: string[] = [];
  const groups: string[] = [];
  const rolesDoc = isRecord(doc) ? doc['roles'] : undefined;
  if (isRecord(rolesDoc)) {
    for (const name of names(rolesDoc['realm'])) roles.push(name);
    const byClient = rolesDoc['client'];
    if (isRecord(byClient)) for (const [client, list] of Object.entries(byClient)) for (const name of names(list)) roles.push(`${client}:${name}`);
  }
  const walk = (list: unknown, parent: string): void => {
    if (!Array.isArray(list)) return;
    for (const g of list) {
      if (!isRecord(g) || typeof g['name'] !== 'string') continue;
      const path = `${parent}/${g['name']}`;
      groups.push(path);
      walk(g['subGroups'], path);
    }
  };
  walk(isRecord(doc) ? doc['groups'] : undefined, '');
  return { roles, groups };
}

function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((r: unknown) => (isRecord(r) && typeof r['name'] === 'string' ? [r['name']] : []));
}

/** Every role and group value of the rules that matches nothing in any of the realms. */
export function unknownNames(rules: readonly CompiledRule[], realms: readonly RealmNames[]): UnknownName[] {
  const roles = realms.flatMap((r) => r.roles);
  const groups = realms.flatMap((r) => r.groups);
  const out: UnknownName[] = [];
  for (const rule of rules) {
    if (rule.access.kind !== 'conditions') continue;
    const blocks = rule.access.blocks;
    blocks.forEach((block: ConditionBlock, i) => {
      const at = blocks.length === 1 ? 'allow' : `allow[${i}]`;
      for (const key of ['anyRole', 'allRoles'] as const) {
        for (const t of block[key] ?? []) {
          if (!roles.some((r) => definedBy(t, r, 0x3a))) out.push({ rule, field: `${at}.${key}`, value: t.source, kind: 'role', hint: suggest(t.source, roles) });
        }
      }
      for (const t of block.anyGroup ?? []) {
        if (!groups.some((g) => definedBy(t, g, 0x2f))) out.push({ rule, field: `${at}.anyGroup`, value: t.source, kind: 'group', hint: suggest(t.source, groups) });
      }
    });
  }
  return out;
}

/** Whether `name` is one the value can stand for, with each `{capture}` and `*` standing for one or more characters. */
export function definedBy(t: Template, name: string, stop: number): boolean {
  if (t.vars.length === 0 && t.glob === undefined) return t.source === name;
  return globMatch(wildPieces(t), name, stop);
}

/** The literal pieces of a template between its stars and captures. */
function wildPieces(t: Template): string[] {
  const pieces: string[] = [''];
  t.parts.forEach((part, i) => {
    if (i % 2 === 1) {
      pieces.push('');
      return;
    }
    part.split('*').forEach((chunk, j) => {
      if (j > 0) pieces.push('');
      pieces[pieces.length - 1] += chunk;
    });
  });
  return pieces;
}
