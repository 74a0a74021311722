/**
 * Turns Traefik's flat `a.b.c=value` settings (docker labels, CLI flags) into the nested structure its file
 * provider reads, so both can be checked against the same published JSON Schemas as the YAML files.
 * Like Traefik's own parser, it is guided by the target type: the schema says whether a value is a list
 * (comma-separated), a boolean, a number, or a section enabled with `=true`.
 */
import assert from 'node:assert/strict';
import { isRecord, record } from './support.js';

type Schema = Record<string, unknown>;

/** Follows local `$ref`s (`#/definitions/x`, `#/$defs/x`) to the schema they name. */
function deref(root: Schema, node: Schema): Schema {
  let cur = node;
  for (let hops = 0; typeof cur['$ref'] === 'string'; hops++) {
    assert.ok(hops < 32, 'schema $ref loop');
    const ref = cur['$ref'];
    assert.ok(ref.startsWith('#/'), `only local $refs are supported, got ${ref}`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = isRecord(target) ? target[part] : undefined;
    assert.ok(isRecord(target), `unresolvable $ref ${ref}`);
    cur = target;
  }
  return cur;
}

/** The schema of property `key` of `node` (case-insensitive, like Traefik), and its canonical spelling. */
function child(root: Schema, node: Schema, key: string): { schema: Schema; key: string } | undefined {
  const n = deref(root, node);
  const props = n['properties'];
  if (isRecord(props)) {
    const name = Object.keys(props).find((k) => k.toLowerCase() === key.toLowerCase());
    const s = name === undefined ? undefined : props[name];
    if (name !== undefined && isRecord(s)) return { schema: s, key: name };
  }
  for (const combinator of ['oneOf', 'anyOf', 'allOf']) {
    const branches = n[combinator];
    if (!Array.isArray(branches)) continue;
    for (const b of branches) {
      const found = isRecord(b) ? child(root, b, key) : undefined;
      if (found !== undefined) return found;
    }
  }
  const extra = n['additionalProperties'];
  if (isRecord(extra)) return { schema: extra, key }; // a user-chosen name (router, middleware, entry point)
  return undefined;
}

/** The JSON types a schema node allows. */
function types(root: Schema, node: Schema): string[] {
  const t = deref(root, node)['type'];
  if (typeof t === 'string') return [t];
  return Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : [];
}

/** Converts one flat value by its target type; anything it cannot convert stays a string for the schema to refuse. */
function convert(root: Schema, node: Schema | undefined, value: string): unknown {
  const t = node === undefined ? [] : types(root, node);
  if (t.includes('array')) return value.split(',').map((v) => v.trim());
  if (t.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  if ((t.includes('integer') || t.includes('number')) && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (t.includes('object') && value === 'true') return {}; // `--ping=true`: the section, with its defaults
  return value;
}

/** Builds the nested configuration from flat `dotted.key → value` pairs, guided by `schema`. */
export function nestFlatKeys(entries: ReadonlyArray<readonly [string, string]>, schema: unknown): Record<string, unknown> {
  assert.ok(isRecord(schema), 'schema must be an object');
  const out: Record<string, unknown> = {};
  for (const [dotted, value] of entries) {
    const parts = dotted.split('.');
    let node: Schema | undefined = schema;
    let target = out;
    parts.forEach((part, i) => {
      const found = node === undefined ? undefined : child(schema, node, part);
      node = found?.schema;
      const key = found?.key ?? part; // unknown keys are kept, so additionalProperties: false reports them
      if (i === parts.length - 1) {
        const v = convert(schema, node, value);
        if (!(isRecord(v) && isRecord(target[key]))) target[key] = v; // `=true` never wipes a section's settings
        return;
      }
      const next = target[key];
      if (!isRecord(next)) target[key] = {};
      target = target[key] as Record<string, unknown>;
    });
  }
  return out;
}

/** `--a.b=c` CLI flags as `[a.b, c]` pairs; a flag without `=` means `true`. */
export function flagEntries(args: readonly string[]): Array<[string, string]> {
  return args.map((arg) => {
    assert.ok(arg.startsWith('--'), `not a flag: ${arg}`);
    const eq = arg.indexOf('=');
    return eq < 0 ? [arg.slice(2), 'true'] : [arg.slice(2, eq), arg.slice(eq + 1)];
  });
}

/** Docker labels (`k=v` list or mapping) as a mapping. */
export function labelMap(labels: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (Array.isArray(labels)) {
    for (const l of labels) {
      assert.equal(typeof l, 'string', 'a label must be a string');
      const s = String(l);
      const eq = s.indexOf('=');
      assert.ok(eq > 0, `label without =: ${s}`);
      out.set(s.slice(0, eq), s.slice(eq + 1));
    }
  } else if (isRecord(labels)) {
    for (const [k, v] of Object.entries(labels)) out.set(k, String(v));
  }
  return out;
}

const SERVER_LABEL = /^traefik\.http\.services\.([^.]+)\.loadbalancer\.server\.(port|scheme)$/i;

/**
 * The dynamic configuration a container's labels declare, as Traefik's docker provider builds it: `traefik.enable`
 * and `traefik.docker.*` steer the provider, and `loadBalancer.server.port` becomes a server URL on the container.
 */
export function labelsToDynamic(labels: ReadonlyMap<string, string>, host: string, schema: unknown): Record<string, unknown> {
  const entries: Array<[string, string]> = [];
  const servers = new Map<string, { port?: string; scheme?: string }>();
  for (const [key, value] of labels) {
    if (/^traefik\.(enable|docker\..*)$/i.test(key)) continue;
    const server = SERVER_LABEL.exec(key);
    if (server !== null) {
      const [, name = '', field = ''] = server;
      servers.set(name, { ...servers.get(name), [field.toLowerCase()]: value });
      continue;
    }
    assert.ok(/^traefik\.(http|tcp|udp|tls)\./i.test(key), `${key}: not a Traefik docker label`);
    entries.push([key.slice('traefik.'.length), value]);
  }
  for (const [name, s] of servers) {
    assert.ok(s.port !== undefined, `service ${name}: loadBalancer.server.scheme without a port`);
    entries.push([`http.services.${name}.loadBalancer.servers`, '']); // placeholder, replaced below
  }
  const config = nestFlatKeys(entries, schema);
  for (const [name, s] of servers) {
    const http = config['http'];
    const svc = isRecord(http) && isRecord(http['services']) ? http['services'][name] : undefined;
    const lb = isRecord(svc) ? svc['loadBalancer'] : undefined;
    if (isRecord(lb)) lb['servers'] = [{ url: `${s.scheme ?? 'http'}://${host}:${s.port ?? ''}` }];
  }
  return config;
}

/**
 * SchemaStore's static schema plus the entry-point option it lacks and Traefik 3.7 has: `http.aliasHeadersStrategy`
 * (keep | delete | reject; `traefik --help`, 3.7.15), which replaces the deprecated `underscoreHeadersStrategy`.
 */
export function withTraefik37(schema: unknown): Record<string, unknown> {
  const root = record(schema, 'traefik-v3.json');
  const defs = record(root['$defs'], 'traefik-v3.json $defs');
  const http = record(defs['staticHTTPConfig'], 'traefik-v3.json staticHTTPConfig');
  const properties = { ...record(http['properties'], 'staticHTTPConfig.properties'), aliasHeadersStrategy: { type: 'string', enum: ['keep', 'delete', 'reject'] } };
  return { ...root, $defs: { ...defs, staticHTTPConfig: { ...http, properties } } };
}
