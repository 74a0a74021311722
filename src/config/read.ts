/** Typed readers for settings: YAML values must have the right type, environment strings are parsed. */
import { describe, type Problem } from '../util/problems.js';
import { problemAt } from '../util/yaml-source.js';
import { CONFIG_VARIABLE, type KeySpec } from './keys.js';
import { envProblem, lookup, type Ctx, type Found } from './source.js';

/**
 * A read setting: absent, invalid (already reported), or a value with its origin for later checks.
 * An invalid list keeps its good items in `partial`, so they are still checked and every problem is reported.
 */
export type Read<T> =
  | { readonly state: 'absent' }
  | { readonly state: 'invalid'; readonly partial?: { readonly value: T; readonly found: Found } }
  | { readonly state: 'ok'; readonly value: T; readonly found: Found };

/** One element of a list setting, with its position in the original list for messages. */
export interface Item {
  readonly value: string;
  readonly index: number;
}

const INVALID = { state: 'invalid' } as const;

/** Records an error about `found` and returns the invalid marker. */
export function fail(ctx: Ctx, found: Found, message: string, item?: number): typeof INVALID {
  ctx.errors.push(found.problem(message, item));
  return INVALID;
}

/** Records a warning about `found`. */
export function warn(ctx: Ctx, found: Found, message: string, item?: number): void {
  ctx.warnings.push(found.problem(message, item));
}

/** Calls `fn` for each item to check: all of a valid list, the good ones of an invalid list. */
export function forEachItem(read: Read<Item[]>, fn: (item: Item, found: Found) => void): void {
  const items = read.state === 'ok' ? read : read.state === 'invalid' ? read.partial : undefined;
  if (items === undefined) return;
  for (const item of items.value) fn(item, items.found);
}

/** The value, or `fallback` when absent or invalid (an invalid value has been reported, so no Config is built). */
export function orDefault<T>(read: Read<T>, fallback: T): T {
  return read.state === 'ok' ? read.value : fallback;
}

/** Describes a value without revealing a secret: its type, or for a string only its length in bytes. */
export function describeSecret(value: unknown): string {
  if (typeof value === 'string') return `a string of ${bytes(value)}`;
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return describe(value);
}

/** `N bytes` (UTF-8 length) of a string, for messages about secrets. */
export function bytes(value: string): string {
  const n = Buffer.byteLength(value, 'utf8');
  return n === 1 ? '1 byte' : `${n} bytes`;
}

/** Reads the setting and applies `parse` to it when present. */
function readWith<T>(ctx: Ctx, spec: KeySpec, parse: (found: Found) => Read<T>): Read<T> {
  const got = lookup(ctx, spec);
  return got.state === 'found' ? parse(got.found) : got;
}

/** A non-empty string, trimmed; a secret is kept verbatim and never echoed in messages. */
export function readString(ctx: Ctx, spec: KeySpec, secret = false): Read<string> {
  return readWith(ctx, spec, (found) => {
    const v = found.value;
    if (typeof v !== 'string') return fail(ctx, found, `must be a string, got ${secret ? describeSecret(v) : describe(v)}`);
    if (v.trim() === '') return fail(ctx, found, 'must not be empty');
    return { state: 'ok', value: secret ? v : v.trim(), found };
  });
}

/** An integer in [min, max]; from env, decimal digits only. */
export function readInt(ctx: Ctx, spec: KeySpec, min: number, max: number): Read<number> {
  return readWith(ctx, spec, (found) => {
    const v = found.value;
    let n = Number.NaN;
    if (typeof v === 'number') n = v;
    else if (found.fromEnv && typeof v === 'string' && /^[+-]?[0-9]+$/.test(v.trim())) n = Number(v.trim());
    if (!Number.isInteger(n) || n < min || n > max) return fail(ctx, found, `must be an integer ${min}-${max}, got ${describe(v)}`);
    return { state: 'ok', value: n, found };
  });
}

/** A boolean; from env, `true`, `false`, `1` or `0` (any case). YAML `yes`/`on` are strings in YAML 1.2, so errors. */
export function readBool(ctx: Ctx, spec: KeySpec): Read<boolean> {
  return readWith(ctx, spec, (found) => {
    const v = found.value;
    if (typeof v === 'boolean') return { state: 'ok', value: v, found };
    if (found.fromEnv && typeof v === 'string') {
      const t = v.trim().toLowerCase();
      if (t === 'true' || t === '1') return { state: 'ok', value: true, found };
      if (t === 'false' || t === '0') return { state: 'ok', value: false, found };
      return fail(ctx, found, `must be a boolean (true, false, 1 or 0), got ${describe(v)}`);
    }
    return fail(ctx, found, `must be a boolean, got ${describe(v)}`);
  });
}

/** One of `allowed`, exactly. */
export function readEnum<T extends string>(ctx: Ctx, spec: KeySpec, allowed: readonly T[]): Read<T> {
  return readWith(ctx, spec, (found) => {
    const v = typeof found.value === 'string' ? found.value.trim() : found.value;
    const hit = allowed.find((a) => a === v);
    if (hit === undefined) return fail(ctx, found, `must be one of ${allowed.join(', ')}, got ${describe(found.value)}`);
    return { state: 'ok', value: hit, found };
  });
}

/**
 * A list of non-empty strings, trimmed (secrets verbatim). YAML: a sequence. Env: comma-separated (newlines
 * also separate, for `*_FILE` secrets with one item per line); empty items such as a trailing comma are skipped.
 */
export function readList(ctx: Ctx, spec: KeySpec, secret = false): Read<Item[]> {
  return readWith(ctx, spec, (found) => {
    const v = found.value;
    if (found.fromEnv && typeof v === 'string') {
      const items = v.split(/\r?\n|,/).map((s, index) => ({ value: secret ? s : s.trim(), index }));
      return { state: 'ok', value: items.filter((i) => i.value !== ''), found };
    }
    if (!Array.isArray(v)) return fail(ctx, found, `must be a list of strings, got ${secret ? describeSecret(v) : describe(v)}`);
    const items: Item[] = [];
    let bad = false;
    v.forEach((el: unknown, index) => {
      const problem = typeof el !== 'string' ? `must be a string, got ${secret ? describeSecret(el) : describe(el)}` : el.trim() === '' ? 'must not be empty' : undefined;
      if (problem !== undefined) {
        fail(ctx, found, problem, index);
        bad = true;
      } else if (typeof el === 'string') {
        items.push({ value: secret ? el : el.trim(), index });
      }
    });
    return bad ? { state: 'invalid', partial: { value: items, found } } : { state: 'ok', value: items, found };
  });
}

/** The value of a required setting; when absent, reports where to set it (this file, or the variable). */
export function required<T>(ctx: Ctx, spec: KeySpec, read: Read<T>): T | undefined {
  if (read.state === 'ok') return read.value;
  if (read.state === 'absent') ctx.errors.push(missing(ctx, spec));
  return undefined;
}

/** The problem for a missing required setting: at the config file's top when there is one, else at the variable. */
export function missing(ctx: Ctx, spec: KeySpec): Problem {
  const key = spec.path.join('.');
  const variable = spec.env === undefined ? '' : ` or $${spec.env}`;
  if (ctx.yaml !== undefined) return problemAt(ctx.yaml, [], key, `is required: set ${key} in this file${variable}`);
  // Without a config file, name the variable; a file-only key is named through the variable that selects the file.
  return envProblem(spec.env ?? CONFIG_VARIABLE, spec.env === undefined ? `${key} is required in the config file` : `is required: set $${spec.env} (or ${key} in the config file)`);
}
