/** Structured JSON logging through pino (issue 17 point 6), into a bounded sink that never blocks the hot path. */
import pino from 'pino';
import { stdoutSink, type LineSink } from './log-sink.js';

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Extra structured fields of one log line. Never put tokens or claims here. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined | null>>;

/** A structured logger writing one JSON object per line. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Writes everything buffered, synchronously (waiting a bounded time on a full pipe). */
  flush(): void;
}

/** Options for createLogger: the level, and where lines go (default: the process's stdout sink). */
export interface LoggerOptions {
  readonly level: LogLevel;
  /** Receives each line (tests); replaces the sink. */
  readonly write?: (line: string) => void;
  readonly sink?: LineSink;
  readonly now?: () => number;
}

/** Keys the logger writes itself; a field of the same name is written as `_<name>` (it cannot replace them). */
const OWN_KEYS = ['time', 'level', 'msg'] as const;

/**
 * Creates a logger writing one JSON object per line through pino: `{"level":"info","time":"<ISO>","msg":…,...fields}`
 * (the field names and level names of keygate's log before pino). Undefined fields are left out; a non-finite number is
 * written as null.
 *
 * pino writes the level, time and message and owns the destination; the fields are serialised by V8's JSON.stringify
 * and appended through pino's `streamWrite` hook. pino's own per-key writer costs ~0.6 µs more per audit line on
 * Node 20 (its JS string escaper; pino itself switches to JSON.stringify from Node 25), 8-9 % of a warm bearer
 * answer in `npm run bench`, where the line is written on every decision (issue #5).
 */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write;
  const sink: LineSink = write !== undefined ? { write, flushSync: () => undefined } : options.sink ?? stdoutSink();
  // The fields of the line being written, as JSON members without the braces ('' for none); set just around one call.
  let members = '';
  const p = pino({
    level: options.level,
    base: null,
    messageKey: 'msg',
    timestamp: isoClock(options.now ?? Date.now),
    formatters: { level: (label) => ({ level: label }) },
    // pino's line ends with '}' and the newline: the members go before them.
    hooks: { streamWrite: (line) => (members === '' ? line : `${line.slice(0, -2)},${members}}\n`) },
  }, sink);
  const at = (level: LogLevel): ((msg: string, fields?: LogFields) => void) => {
    if (!p.isLevelEnabled(level)) return () => undefined;
    return (msg, fields) => {
      if (fields !== undefined) {
        const json = JSON.stringify(ownKeysRenamed(fields));
        members = json.length > 2 ? json.slice(1, -1) : '';
      }
      try {
        p[level](msg);
      } finally {
        members = '';
      }
    };
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), flush: () => sink.flushSync() };
}

/** pino's `timestamp` option: `,"time":"<ISO>"`, formatted once per millisecond (many lines share one under load). */
function isoClock(now: () => number): () => string {
  let stampMs = Number.NaN;
  let stamp = '';
  return () => {
    const ms = now();
    if (ms !== stampMs) {
      stamp = `,"time":"${new Date(ms).toISOString()}"`;
      stampMs = ms;
    }
    return stamp;
  };
}

/** `fields` itself (the usual case, no copy), or a copy whose `time`, `level` and `msg` are renamed `_time`, `_level`, `_msg`. */
function ownKeysRenamed(fields: LogFields): LogFields {
  if (!Object.hasOwn(fields, 'msg') && !Object.hasOwn(fields, 'time') && !Object.hasOwn(fields, 'level')) return fields;
  const out: Record<string, LogFields[string]> = {};
  for (const [k, v] of Object.entries(fields)) out[(OWN_KEYS as readonly string[]).includes(k) ? `_${k}` : k] = v;
  return out;
}

/** A logger that drops everything (tests and benchmarks). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, flush() {} };
