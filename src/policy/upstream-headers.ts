/**
 * Upstream headers per rule (issue 13): a rule's 200 answer may carry extra headers for the upstream — fixed
 * values, secrets read from files (e.g. `Authorization: Basic …` so Prefect's own auth stays on behind the proxy),
 * and values of the caller's claims (`X-Auth-Tenant` from `tenant`). Validation is pure; secret files are read
 * through a reader the caller passes in (the service and `keygate check`), never here.
 */
import { describe } from '../util/problems.js';
import { fail, isRecord, type Collector, type DocPath } from './validate-helpers.js';

const REDACTED = '[secret]';

/** A secret header value: never printed, logged or serialised; `reveal()` is the one way to read it. */
export class SecretValue {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The value, for the answer to the proxy only. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** Where a header's value comes from. */
export type UpstreamValue =
  | { readonly kind: 'fixed'; readonly value: string }
  | { readonly kind: 'secret'; readonly file: string; readonly prefix: string; readonly base64: boolean; readonly secret: SecretValue | undefined }
  | { readonly kind: 'claim'; readonly claim: string };

/** One header a rule adds to its 200 answer. */
export interface UpstreamHeader {
  /** As written in the policy (for `keygate check` and explain). */
  readonly name: string;
  /** Lower case, as node writes it. */
  readonly lower: string;
  readonly value: UpstreamValue;
}

/** Reads a secret file (the service and `keygate check` pass node's readFileSync; tests a fake). */
export type SecretReader = (file: string) => string;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers keygate's answer owns, or that would change how the proxy treats the request. */
const RESERVED = ['content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'host', 'cache-control', 'set-cookie', 'location', 'www-authenticate', 'retry-after'];
// eslint-disable-next-line no-control-regex
const HEADER_SAFE = /^[\x20-\x7e]*$/;
const VALUE_SHAPES = 'a fixed string, { file: PATH, prefix?: TEXT, base64?: true|false } (a secret) or { claim: NAME }';

/** Validates a rule's `headers` map; reports every problem and returns the headers only when all are valid. */
export function validateHeaders(c: Collector, value: unknown, path: DocPath, label: string): UpstreamHeader[] | undefined {
  if (!isRecord(value) || Object.keys(value).length === 0) {
    fail(c, path, label, `headers must be a non-empty mapping of header names to ${VALUE_SHAPES}, got ${describe(value)}`);
    return undefined;
  }
  const out: UpstreamHeader[] = [];
  const seen = new Map<string, string>();
  for (const [name, raw] of Object.entries(value)) {
    const at = [...path, name];
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) {
      fail(c, at, label, `headers names must be HTTP header names (letters, digits and !#$%&'*+.^_\`|~-), got ${describe(name)}`, true);
      continue;
    }
    if (RESERVED.includes(lower)) {
      fail(c, at, label, `headers must not set ${name}: keygate's answer or the proxy owns it (reserved: ${RESERVED.join(', ')})`, true);
      continue;
    }
    const first = seen.get(lower);
    if (first !== undefined) {
      fail(c, at, label, `headers names ${name} twice (also as ${first}; header names are case-insensitive)`, true);
      continue;
    }
    seen.set(lower, name);
    const v = headerValueSpec(c, raw, at, label, `headers.${name}`);
    if (v !== undefined) out.push({ name, lower, value: v });
  }
  return out.length === Object.keys(value).length ? out : undefined;
}

function headerValueSpec(c: Collector, raw: unknown, at: DocPath, label: string, field: string): UpstreamValue | undefined {
  if (typeof raw === 'string') {
    if (raw !== '' && HEADER_SAFE.test(raw)) return { kind: 'fixed', value: raw };
    fail(c, at, label, `${field} must be a non-empty value of printable ASCII characters (no line breaks), got ${describe(raw)}`);
    return undefined;
  }
  if (!isRecord(raw)) {
    fail(c, at, label, `${field} must be ${VALUE_SHAPES}, got ${describe(raw)}`);
    return undefined;
  }
  const keys = Object.keys(raw);
  if ('claim' in raw) {
    const claim = raw['claim'];
    if (keys.length !== 1 || typeof claim !== 'string' || claim === '' || claim.includes('.')) {
      fail(c, at, label, `${field} must be { claim: NAME } with a top-level claim name and nothing else, got ${describe(raw)}`);
      return undefined;
    }
    return { kind: 'claim', claim };
  }
  const file = raw['file'];
  const prefix = raw['prefix'] ?? '';
  const base64 = raw['base64'] ?? false;
  const extra = keys.filter((k) => !['file', 'prefix', 'base64'].includes(k));
  if (typeof file !== 'string' || file === '' || typeof prefix !== 'string' || !HEADER_SAFE.test(prefix) || typeof base64 !== 'boolean' || extra.length > 0) {
    fail(c, at, label, `${field} must be ${VALUE_SHAPES}, got ${describe(raw)}`);
    return undefined;
  }
  return { kind: 'secret', file, prefix, base64, secret: undefined };
}

/**
 * The header value of a secret file's content: trailing line breaks dropped, base64 when asked, prefixed. An error
 * message (naming the file, never its content) when the result cannot be a header value.
 */
export function secretHeaderValue(content: string, spec: { readonly prefix: string; readonly base64: boolean }): SecretValue | { error: string } {
  const text = content.replace(/\r?\n$/, '');
  if (text === '') return { error: 'is empty' };
  if (!spec.base64 && !HEADER_SAFE.test(text)) return { error: 'holds characters a header value cannot carry (line breaks, control or non-ASCII characters); set base64: true or fix the file' };
  return new SecretValue(spec.prefix + (spec.base64 ? Buffer.from(text, 'utf8').toString('base64') : text));
}

/** How explain and check describe a header: never the secret itself. */
export function describeHeader(h: UpstreamHeader): string {
  switch (h.value.kind) {
    case 'fixed':
      return `${h.name}: ${h.value.value}`;
    case 'claim':
      return `${h.name} from claim ${h.value.claim}`;
    case 'secret':
      return `${h.name}: secret from file ${h.value.file}${h.value.base64 ? ' (base64)' : ''}${h.value.prefix === '' ? '' : `, prefixed ${JSON.stringify(h.value.prefix)}`}`;
  }
}
