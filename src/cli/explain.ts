/**
 * `keygate explain --policy F --method M --url URL [--user U] [--roles a,b] [--groups /g] [--scopes s]
 * [--anonymous] [--json]`: the decision, the rule that made it, why each earlier rule did not match,
 * and which condition held or failed (DESIGN §8).
 */
import type { Identity } from '../identity/types.js';
import { explain, type Explanation } from '../policy/explain.js';
import { NO_RULE, type Target } from '../policy/types.js';
import { describeHeader } from '../policy/upstream-headers.js';
import { identityFromFlags } from './identity-flags.js';
import { parseCommandArgs, usageError, type CommandUsage } from './args.js';
import type { CliIo } from './io.js';
import { readPolicy } from './policy-file.js';
import { targetFromUrl } from './target-url.js';

const COMMAND: CommandUsage = {
  name: 'explain',
  usage: 'usage: keygate explain --policy FILE --method METHOD --url URL [--user U] [--roles a,b] [--groups /g] [--scopes s] [--anonymous] [--json]\n',
};

const OPTIONS = {
  policy: { type: 'string' },
  method: { type: 'string' },
  url: { type: 'string' },
  user: { type: 'string' },
  roles: { type: 'string', multiple: true },
  groups: { type: 'string', multiple: true },
  scopes: { type: 'string', multiple: true },
  anonymous: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** Runs `keygate explain`; resolves to the exit code (0 explained, 1 bad policy, 2 usage). */
export async function explainCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, COMMAND, { options: OPTIONS }, io);
  if ('exit' in parsed) return parsed.exit;
  const { values } = parsed;
  if (values.policy === undefined || values.method === undefined || values.url === undefined) return usageError(io, COMMAND, '--policy, --method and --url are required');
  const who = identityFromFlags(values);
  if ('error' in who) return usageError(io, COMMAND, who.error);
  const t = targetFromUrl(values.method, values.url);
  if (!t.ok && t.kind === 'invalid_url') return usageError(io, COMMAND, t.detail);
  const loaded = readPolicy(values.policy, io, false);
  if (loaded.policy === undefined) return 1;
  if (!t.ok) {
    const decision = { kind: 'bad_request', rule: NO_RULE, reason: 'bad_target' };
    if (values.json === true) io.stdout(`${JSON.stringify({ decision, detail: t.detail })}\n`);
    else io.stdout(`decision: bad_request (bad_target)\nwhy: ${t.part === 'path' ? 'the path is ambiguous' : `the ${t.part} is malformed`} and is refused before any rule: ${t.detail}\n`);
    return 0;
  }
  const explanation = explain(loaded.policy, t.target, who.identity);
  if (values.json === true) io.stdout(`${JSON.stringify({ ...explanation, target: t.target, identity: who.identity ?? null })}\n`);
  else io.stdout(formatExplanation(explanation, values.policy, t.target, who.identity));
  return 0;
}

/** The text report of `keygate explain`. */
export function formatExplanation(e: Explanation, file: string, target: Target, identity: Identity | undefined): string {
  const lines: string[] = [];
  lines.push(`decision: ${e.decision.kind} (${e.decision.reason})`);
  lines.push(e.rule === undefined ? 'rule: (default): no rule matched' : `rule: rules[${e.rule.index}] "${e.rule.name}" at ${file}:${e.rule.line}:${e.rule.column}`);
  lines.push(`request: ${target.method} ${target.host} ${target.path}`);
  lines.push(`identity: ${describeIdentity(identity)}`);
  const captured = Object.entries(e.captures);
  if (captured.length > 0) lines.push(`captures: ${captured.map(([k, v]) => `{${k}}=${JSON.stringify(v)}`).join(', ')}`);
  lines.push(`why: ${e.reason}`);
  // Names and sources only: a secret's value is never read by explain, let alone printed.
  if (e.decision.kind === 'allow' && e.decision.upstream !== undefined) lines.push(`upstream headers: ${e.decision.upstream.map(describeHeader).join('; ')}`);
  for (const c of e.conditions) {
    const matched = c.matched.length === 0 ? '' : ` (${c.matched.join(', ')})`;
    lines.push(`  allow[${c.block}].${c.key} [${c.values.join(', ')}]: ${c.held ? 'held' : 'failed'}${matched}`);
  }
  if (e.skipped.length === 0) {
    lines.push('earlier rules: none');
  } else {
    lines.push('earlier rules that did not match:');
    for (const s of e.skipped) lines.push(`  rules[${s.index}] "${s.name}": ${s.mismatches.map((m) => m.detail).join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function describeIdentity(identity: Identity | undefined): string {
  if (identity === undefined) return 'anonymous';
  const list = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : xs.join(', '));
  const user = identity.username === '' ? '(no username)' : identity.username;
  return `${user} (roles: ${list(identity.roles)}; groups: ${list(identity.groups)}; scopes: ${list(identity.scopes)})`;
}
