/**
 * `keygate check` on rules' upstream headers (issue 13): the proxy copies only the auth-answer headers it is told
 * to, so check prints the exact lines to add for Traefik, Caddy and ingress-nginx, and warns when a given proxy
 * file (`--proxy FILE`) does not name one of them.
 */
import type { CompiledPolicy } from '../policy/compiled.js';
import type { CliIo } from './io.js';
import { readText } from './policy-file.js';

/** The distinct header names the rules add, in policy order (first spelling kept). */
export function upstreamHeaderNames(policy: CompiledPolicy): string[] {
  const seen = new Map<string, string>();
  for (const rule of policy.rules) for (const h of rule.headers ?? []) if (!seen.has(h.lower)) seen.set(h.lower, h.name);
  return [...seen.values()];
}

/** The configuration lines that make each proxy pass `names` to the upstream. */
export function proxyLines(names: readonly string[]): string[] {
  return [
    `  Traefik (forwardAuth middleware), add to authResponseHeaders: [${names.join(', ')}]`,
    `  Caddy (forward_auth), add: copy_headers ${names.join(' ')}`,
    `  ingress-nginx, add to the annotation: nginx.ingress.kubernetes.io/auth-response-headers: "${names.join(',')}"`,
  ];
}

/** Whether a proxy file names `header`: as a word (any case), or as nginx's `$upstream_http_x_name`. */
export function mentions(text: string, header: string): boolean {
  const escaped = header.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`, 'i').test(text)) return true;
  return text.toLowerCase().includes(`upstream_http_${header.toLowerCase().replace(/-/g, '_')}`);
}

/** Prints the proxy lines and a warning per proxy file missing a header; the number of warnings, undefined when a file is unreadable. */
export function headerAdvice(policy: CompiledPolicy, proxyFiles: readonly string[], io: CliIo): number | undefined {
  const names = upstreamHeaderNames(policy);
  if (names.length === 0) return 0;
  io.stdout(`rules add upstream headers: ${names.join(', ')}; the proxy passes them on only when told to:\n${proxyLines(names).join('\n')}\n`);
  let warnings = 0;
  for (const file of proxyFiles) {
    const text = readText(file);
    if (typeof text !== 'string') {
      io.stderr(`${file}: cannot read the proxy configuration: ${text.error}\n`);
      return undefined;
    }
    for (const name of names) {
      if (mentions(text, name)) continue;
      warnings++;
      io.stderr(`warning: ${file}: does not name ${name}, which rules add to keygate's answer: the upstream never receives it (add it to authResponseHeaders / copy_headers / auth-response-headers)\n`);
    }
  }
  return warnings;
}
