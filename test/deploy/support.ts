/** Shared helpers for the deployment-file tests: paths, YAML documents, the vendored schemas, keygate's header set. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { Ajv, type AnySchema, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_HEADERS } from '../../src/config/session-settings.js';
import { validateConfig } from '../../src/config/validate.js';
import { skipLoudly } from '../support/proc.js';
import { isRecord, list, record, str } from '../support/shape.js';

/** Repository root (tests run from dist/test/deploy). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Vendored third-party schemas: `shared/` sits beside the checkout in CI and on dev machines; never copied in. */
export const SCHEMA_DIR = join(ROOT, '..', 'shared', 'schemas');

/** The identity headers keygate sends on 200, from the config defaults (DESIGN.md §6), in their documented order. */
export const KEYGATE_HEADERS: readonly string[] = Object.values(DEFAULT_HEADERS);

export { isRecord, list, record, str };

/** Repository-relative path, for test names and messages. */
export function rel(file: string): string {
  return relative(ROOT, file);
}

/** Every file below `dir` (repository-relative) whose name ends with one of `suffixes`, sorted. */
export function filesUnder(dir: string, suffixes: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (suffixes.some((s) => name.endsWith(s))) out.push(p);
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

/** One YAML document of a file, with its position in the file. */
export interface YamlDoc {
  readonly file: string;
  readonly index: number;
  readonly value: unknown;
}

/**
 * Every non-empty document of a YAML file. Each must read the same in YAML 1.1 (kubectl, docker-compose) and
 * YAML 1.2 (this package's default): `on`, `0440` or `1:30` unquoted would mean different things to different tools.
 */
export function yamlDocuments(file: string): YamlDoc[] {
  const text = readFileSync(file, 'utf8');
  const read = (version: '1.1' | '1.2'): unknown[] =>
    parseAllDocuments(text, { version }).map((doc, i) => {
      assert.deepEqual(doc.errors.map((e) => e.message), [], `${rel(file)} document ${i + 1} (YAML ${version})`);
      return doc.toJS() as unknown;
    });
  const v12 = read('1.2');
  assert.deepEqual(read('1.1'), v12, `${rel(file)} reads differently in YAML 1.1 and 1.2: quote the ambiguous scalars`);
  return v12.flatMap((value, index) => (value === null || value === undefined ? [] : [{ file, index, value }]));
}

/** The only YAML document of a file. */
export function yamlDocument(file: string): unknown {
  const docs = yamlDocuments(join(ROOT, file));
  assert.equal(docs.length, 1, `${file} must hold exactly one YAML document`);
  return docs[0]?.value;
}

/**
 * Reads a vendored schema. A missing file skips the calling test with a loud banner on stderr, and fails it when
 * E2E_REQUIRED=1 (CI), so a checkout without shared/ can never pass silently.
 */
export function requireSchema(t: TestContext, name: string): unknown {
  const file = join(SCHEMA_DIR, name);
  if (existsSync(file)) return name.endsWith('.json') ? (JSON.parse(readFileSync(file, 'utf8')) as unknown) : readFileSync(file, 'utf8');
  skipLoudly(t, `schema ${file} is missing (shared/schemas/ must sit beside the checkout); this validation cannot run`);
  return undefined;
}

/** Formats Ajv errors one per line, with the failing path and the offending parameters. */
export function ajvErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`).join('\n');
}

const compiled = new Map<string, ValidateFunction>();

/**
 * Compiles a draft-07 SchemaStore schema once per name. Strict mode: these schemas compile cleanly under it, so a
 * schema update that Ajv would silently misread fails here instead.
 */
export function draft07Validator(name: string, schema: unknown, options: Options = {}): ValidateFunction {
  const key = `${name}\u0000${JSON.stringify(options)}`;
  let v = compiled.get(key);
  if (v === undefined) {
    v = new Ajv({ strict: true, allErrors: true, ...options }).compile(schema as AnySchema);
    compiled.set(key, v);
  }
  return v;
}

/** Asserts `value` is valid for `validate`, listing every schema error. */
export function assertValid(validate: ValidateFunction, value: unknown, what: string): void {
  const ok = validate(value);
  assert.ok(ok, `${what} does not match its schema:\n${ajvErrors(validate.errors)}`);
}

/** Asserts two header lists are the same set, case-insensitively (HTTP header names), without duplicates. */
export function assertHeaderSet(actual: readonly string[], what: string): void {
  const norm = (hs: readonly string[]): string[] => hs.map((h) => h.trim().toLowerCase()).sort();
  assert.equal(new Set(norm(actual)).size, actual.length, `${what} lists a header twice: ${actual.join(', ')}`);
  assert.deepEqual(norm(actual), norm(KEYGATE_HEADERS), `${what} must list exactly the headers keygate sends (${KEYGATE_HEADERS.join(', ')})`);
}

/** The session cookie's name when none is configured, as validateConfig fills it in. */
export function defaultCookieName(): string {
  const env = {
    KEYGATE_ISSUER: 'https://keycloak.example.com/realms/acme',
    KEYGATE_CLIENT_ID: 'keygate',
    KEYGATE_CLIENT_SECRET: 'secret',
    KEYGATE_AUTHORIZED_PARTIES: 'keygate',
    KEYGATE_SESSION_SECRETS: 'a-session-secret-of-at-least-32-bytes',
    KEYGATE_POLICY: '/etc/keygate/policy.yaml',
  };
  const r = validateConfig({ env, readFile: (path) => { throw new Error(`unexpected read of ${path}`); } });
  assert.ok(r.value !== undefined, r.errors.map((e) => e.message).join('\n'));
  return r.value.cookie.name;
}

/**
 * Asserts a proxy passes renewed session cookies: the session cookie and its chunks (`keygate`, `keygate.1`, …,
 * consecutive, at least one chunk), since Traefik drops a Set-Cookie from a 200 auth answer unless listed.
 */
export function assertSessionCookies(cookies: readonly string[], what: string): void {
  const name = defaultCookieName();
  assert.ok(cookies.length >= 2, `${what} must list ${name} and its chunks ${name}.1, …`);
  assert.deepEqual(cookies, cookies.map((_, i) => (i === 0 ? name : `${name}.${i}`)), `${what}: ${name}, then ${name}.1, ${name}.2 … in order`);
}
