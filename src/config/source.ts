/** Where each setting comes from: the environment (with `*_FILE` secrets) over the YAML file over defaults. */
import { formatPath, describe, type Problem } from '../util/problems.js';
import { problemAt, type YamlSource } from '../util/yaml-source.js';
import { allowedKeys, FILE_VARIABLES, knownVariables, SECTIONS, type KeySpec } from './keys.js';
import { suggest } from './suggest.js';

/** Input of validateConfig: the parsed YAML (if any), the environment, and a reader for `*_FILE` secrets. */
export interface RawConfigInput {
  /** The parsed config file with positions; undefined when there is no config file. */
  readonly yaml?: YamlSource | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a `*_FILE` secret as UTF-8; throws when it cannot. Injected so validation stays pure. */
  readonly readFile: (path: string) => string;
}

/** One environment setting after `*_FILE` resolution; `value` undefined = unusable, already reported. */
export interface EnvEntry {
  readonly value: string | undefined;
  /** The variable to name in messages: `X`, or `X_FILE` when the value came from a file. */
  readonly variable: string;
}

/** Validation state shared by the readers: the inputs and the problems found so far. */
export interface Ctx {
  readonly yaml: YamlSource | undefined;
  readonly doc: Readonly<Record<string, unknown>>;
  readonly env: ReadonlyMap<string, EnvEntry>;
  readonly errors: Problem[];
  readonly warnings: Problem[];
}

/** A setting that is present: its raw value (a string when from env) and how to report a problem with it. */
export interface Found {
  readonly value: unknown;
  readonly fromEnv: boolean;
  /** A problem about this setting; `item` points at one list element. */
  problem(message: string, item?: number): Problem;
}

/** Result of looking a setting up: absent, present, or present but unusable (already reported). */
export type Lookup = { readonly state: 'absent' } | { readonly state: 'invalid' } | { readonly state: 'found'; readonly found: Found };

/** True for a plain mapping (not null, not a list). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A problem named after an environment variable. */
export function envProblem(variable: string, message: string): Problem {
  return { source: { kind: 'env', variable }, path: '', message };
}

/** Builds the context: checks the document shape and unknown keys, resolves `*_FILE` variables. */
export function createContext(input: RawConfigInput): Ctx {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const yaml = input.yaml;
  let doc: Record<string, unknown> = {};
  if (yaml !== undefined && isRecord(yaml.value)) doc = yaml.value;
  else if (yaml !== undefined && yaml.value !== undefined && yaml.value !== null) {
    errors.push(problemAt(yaml, [], '', `the config file must be a mapping of keys, got ${describe(yaml.value)}`));
  }
  if (yaml !== undefined) checkKeys(yaml, doc, errors);
  const env = resolveEnv(input, errors);
  warnUnknownVariables(input.env, warnings);
  return { yaml, doc, env, errors, warnings };
}

/** Looks a setting up: environment first, then the YAML file. */
export function lookup(ctx: Ctx, spec: KeySpec): Lookup {
  const entry = spec.env === undefined ? undefined : ctx.env.get(spec.env);
  if (entry !== undefined) {
    if (entry.value === undefined) return { state: 'invalid' };
    const variable = entry.variable;
    const problem = (message: string, item?: number): Problem =>
      envProblem(variable, item === undefined ? message : `item ${item + 1}: ${message}`);
    return { state: 'found', found: { value: entry.value, fromEnv: true, problem } };
  }
  const yaml = ctx.yaml;
  const [first, second] = spec.path;
  let value: unknown = ctx.doc[first];
  if (second !== undefined) value = isRecord(value) ? value[second] : undefined;
  if (yaml === undefined || value === undefined) return { state: 'absent' };
  const problem = (message: string, item?: number): Problem => {
    const path = item === undefined ? [...spec.path] : [...spec.path, item];
    return problemAt(yaml, path, formatPath(path), message);
  };
  return { state: 'found', found: { value, fromEnv: false, problem } };
}

/** Reports unknown keys (with a suggestion when one is close) and sections that are not mappings. */
function checkKeys(yaml: YamlSource, doc: Record<string, unknown>, errors: Problem[]): void {
  const top = allowedKeys('');
  const dotted = [...top, ...SECTIONS.flatMap((s) => allowedKeys(s).map((k) => `${s}.${k}`))];
  for (const key of Object.keys(doc)) {
    if (!top.includes(key)) {
      const hint = suggest(key, dotted);
      errors.push(problemAt(yaml, [key], key, hint === undefined ? 'unknown key' : `unknown key, did you mean "${hint}"?`, true));
    }
  }
  for (const section of SECTIONS) {
    const value = doc[section];
    if (value === undefined) continue;
    if (!isRecord(value)) {
      errors.push(problemAt(yaml, [section], section, `must be a mapping, got ${describe(value)}`));
      continue;
    }
    const allowed = allowedKeys(section);
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      const hint = suggest(key, allowed);
      const message = hint === undefined ? `unknown key (allowed: ${allowed.join(', ')})` : `unknown key, did you mean "${hint}"?`;
      errors.push(problemAt(yaml, [section, key], `${section}.${key}`, message, true));
    }
  }
}

/** Collects KEYGATE_* variables (empty = unset) and replaces `X_FILE` by the file's content under `X`. */
function resolveEnv(input: RawConfigInput, errors: Problem[]): Map<string, EnvEntry> {
  const out = new Map<string, EnvEntry>();
  for (const [name, value] of Object.entries(input.env)) {
    // An empty variable counts as unset, as compose files and manifests often pass `FOO=` for "nothing".
    if (name.startsWith('KEYGATE_') && value !== undefined && value.trim() !== '') out.set(name, { value, variable: name });
  }
  for (const base of FILE_VARIABLES) {
    const fileVar = `${base}_FILE`;
    const path = out.get(fileVar)?.value;
    if (path === undefined) continue;
    out.delete(fileVar);
    if (out.has(base)) {
      errors.push(envProblem(fileVar, `cannot be set together with $${base}; set only one of them`));
      continue;
    }
    out.set(base, { value: readSecretFile(input, fileVar, path, errors), variable: fileVar });
  }
  return out;
}

/** Reads a `*_FILE` secret, dropping one trailing newline; undefined (and an error) when it cannot. */
function readSecretFile(input: RawConfigInput, variable: string, path: string, errors: Problem[]): string | undefined {
  let text: string;
  try {
    text = input.readFile(path);
  } catch (err) {
    errors.push(envProblem(variable, `cannot read ${JSON.stringify(path)}: ${readError(err)}`));
    return undefined;
  }
  text = text.replace(/\r?\n$/, '');
  if (text.trim() === '') {
    errors.push(envProblem(variable, `the file ${JSON.stringify(path)} is empty`));
    return undefined;
  }
  return text;
}

/** A short reason for a failed read: `ENOENT: no such file or directory`, without the path repeated. */
function readError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.message.split(', ')[0] ?? err.message;
}

/** Warns about KEYGATE_* variables that look like misspellings, or `*_FILE` variants that are never read. */
function warnUnknownVariables(env: Readonly<Record<string, string | undefined>>, warnings: Problem[]): void {
  const known = knownVariables();
  const fileable = FILE_VARIABLES.map((v) => `$${v}_FILE`).join(', ');
  for (const name of Object.keys(env)) {
    if (!name.startsWith('KEYGATE_') || known.includes(name) || env[name] === undefined) continue;
    const base = name.endsWith('_FILE') ? name.slice(0, -5) : undefined;
    if (base !== undefined && known.includes(base)) {
      warnings.push(envProblem(name, `is not read: only ${fileable} are read from files`));
      continue;
    }
    const hint = suggest(name.slice('KEYGATE_'.length), known.map((k) => k.slice('KEYGATE_'.length)));
    if (hint !== undefined) warnings.push(envProblem(name, `is not a keygate variable, did you mean $KEYGATE_${hint}?`));
  }
}
