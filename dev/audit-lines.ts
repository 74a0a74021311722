/**
 * The audit lines of `keygate dev`, one short line per decision as it happens (issue 16 point 6): the demo is there
 * to teach which rule decided and why, so the terminal shows it next to what the browser did instead of pointing at a
 * JSON stream. The line is built from the audit line's fields (never a token; no private error detail).
 */
import type { LogFields, Logger } from '../src/util/log.js';

/** The message of the audit line the auth handler writes once per decision. */
const DECISION = 'decision';
/** Longest path shown; a longer one is cut with `…`. */
const MAX_PATH = 120;

/**
 * One decision as a compact line, e.g.
 * `03:51:07  403 deny            GET /admin/  rule demo-admin (condition_unmet)  alice (session)`.
 * `time` is epoch ms (shown as UTC hh:mm:ss). Control characters from the request are escaped: a path cannot move
 * the terminal's cursor.
 */
export function compactDecision(time: number, f: LogFields): string {
  const clock = new Date(time).toISOString().slice(11, 19);
  const path = text(f['path'] ?? '');
  const shown = path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path;
  const parts = [
    clock, `${text(f['status'] ?? '')} ${text(f['decision'] ?? '').padEnd(15)}`,
    `${text(f['method'] ?? '-')} ${shown || '-'}`, `rule ${text(f['rule'] ?? '')} (${text(f['reason'] ?? '')})`, who(f),
  ];
  if (f['error'] !== undefined) parts.push(`error ${text(f['error'])}`);
  return `${parts.join('  ')}\n`;
}

/** Who asked: the username and how it was identified, the client of a token without one, or anonymous. */
function who(f: LogFields): string {
  const user = text(f['user'] ?? '');
  const via = text(f['via'] ?? '');
  if (user !== '') return via === '' ? user : `${user} (${via})`;
  const azp = text(f['azp'] ?? '');
  return azp === '' ? 'anonymous' : `client ${azp}`;
}

/** A field as printable text: C0/C1 control characters become `\u00XX`. */
function text(v: string | number | boolean | null): string {
  // eslint-disable-next-line no-control-regex
  return String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A logger that writes each decision's audit line compactly with `write` and passes every other line to `base`
 * (the JSON logger at the configured level, so warnings and errors still show).
 */
export function compactDecisionLogger(write: (line: string) => void, base: Logger, now: () => number = Date.now): Logger {
  return {
    debug: (m, f) => base.debug(m, f),
    info: (m, f) => (m === DECISION && f !== undefined ? write(compactDecision(now(), f)) : base.info(m, f)),
    warn: (m, f) => base.warn(m, f),
    error: (m, f) => base.error(m, f),
    flush: () => base.flush(),
  };
}
