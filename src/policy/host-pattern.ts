/**
 * Host patterns (DESIGN §5): an exact host or `*.example.com` (any depth of subdomain, never the
 * apex). Case-insensitive (patterns are lower-cased at load; Target.host is already lower-case)
 * and port-free (Target.host carries no port).
 */

/** A compiled host pattern. */
export type HostPattern =
  | { readonly kind: 'exact'; readonly source: string; readonly host: string }
  | { readonly kind: 'wildcard'; readonly source: string; readonly suffix: string };

/** Result of parseHostPattern. */
export type ParsedHostPattern = { readonly ok: true; readonly pattern: HostPattern } | { readonly ok: false; readonly message: string };

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** Parses a host pattern, or says which constraint it breaks. */
export function parseHostPattern(source: string): ParsedHostPattern {
  const lower = source.toLowerCase();
  const got = `got ${JSON.stringify(source)}`;
  if (lower.includes(':')) return bad(`must not include a port or scheme (ports are ignored), ${got}`);
  if (lower === '*') return bad(`must not be "*" alone (omit hosts to match any host), ${got}`);
  const wildcard = lower.startsWith('*.');
  const name = wildcard ? lower.slice(2) : lower;
  if (name.includes('*')) return bad(`may use "*" only as a whole first label ("*.example.com"), ${got}`);
  if (name === '' || !name.split('.').every((label) => LABEL.test(label))) {
    return bad(`must be a host name (letters, digits, "-", "." between labels) or "*.domain", ${got}`);
  }
  if (wildcard) return { ok: true, pattern: { kind: 'wildcard', source, suffix: `.${name}` } };
  return { ok: true, pattern: { kind: 'exact', source, host: name } };
}

function bad(message: string): ParsedHostPattern {
  return { ok: false, message };
}

/** True when `host` (lower-case, no port) matches the pattern. */
export function hostMatches(pattern: HostPattern, host: string): boolean {
  if (pattern.kind === 'exact') return host === pattern.host;
  return host.length > pattern.suffix.length && host.endsWith(pattern.suffix);
}

/** True when pattern `a` matches every host that pattern `b` matches. */
export function hostCovers(a: HostPattern, b: HostPattern): boolean {
  if (b.kind === 'exact') return hostMatches(a, b.host);
  return a.kind === 'wildcard' && (b.suffix === a.suffix || b.suffix.endsWith(a.suffix));
}
