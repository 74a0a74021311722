/**
 * Where log lines go (issue 17 point 6): a bounded in-memory queue written to a file descriptor once per event-loop
 * turn, never blocking the loop and never spinning on a full pipe. A line that does not fit is counted, never lost
 * silently (`keygate_log_lines_dropped_total`), and whatever is queued is written out when the process exits,
 * also after an uncaught exception ('exit' runs then too).
 */
import { fstatSync, writeSync } from 'node:fs';

/** Where a Logger writes its lines. */
export interface LineSink {
  /** Queues one line (ending in "\n"); when the queue is full the line is dropped and counted. */
  write(line: string): void;
  /** Writes everything queued now, waiting on a full pipe up to `waitMs`; what is still unwritten then is dropped and counted. */
  flushSync(waitMs?: number): void;
}

/** Options of createFdSink. */
export interface FdSinkOptions {
  readonly fd: number;
  /** Bound of the queue, in characters (bytes for ASCII lines); default 16 MiB. */
  readonly maxChars?: number;
  /** How long the final flush waits for a full pipe to drain (ms); default 5,000. */
  readonly exitWaitMs?: number;
}

/** About a second of audit lines at the bench's peak rate (~40k decisions/s of ~350 bytes): a log shipper's hiccup. */
const DEFAULT_MAX_CHARS = 16 * 1024 * 1024;
const DEFAULT_EXIT_WAIT_MS = 5000;
/** A full pipe is tried again after this long; the loop serves requests meanwhile. */
const RETRY_MS = 10;

let dropped = 0;

/** Lines dropped so far by this process's sinks: queue full, destination gone, or not drained at exit. */
export function droppedLogLines(): number {
  return dropped;
}

/**
 * A sink writing to `fd` with synchronous writes on a non-blocking descriptor: an `EAGAIN` keeps the data queued and
 * is retried from a timer. All unwritten data stays in this object (no write is ever in flight elsewhere), so a flush
 * at exit writes exactly what is left, in order. A blocking descriptor would block the loop while its pipe is full:
 * stdout and stderr pipes are made non-blocking here; another descriptor must already be.
 */
export function createFdSink(options: FdSinkOptions): LineSink {
  // Node opens a pipe or socket stdout/stderr through libuv's uv_pipe_open, which puts the descriptor in non-blocking
  // mode (https://docs.libuv.org/en/v1.x/pipe.html#c.uv_pipe_open); a file or terminal takes writes without EAGAIN.
  if (isPipeOrSocket(options.fd)) void (options.fd === 1 ? process.stdout : options.fd === 2 ? process.stderr : undefined);
  const sink = new FdSink(options.fd, options.maxChars ?? DEFAULT_MAX_CHARS);
  const exitWait = options.exitWaitMs ?? DEFAULT_EXIT_WAIT_MS;
  process.on('exit', () => sink.flushSync(exitWait));
  return sink;
}

let stdout: LineSink | undefined;

/** The process's one stdout sink (two writers on fd 1 could interleave parts of lines after a partial write). */
export function stdoutSink(): LineSink {
  stdout ??= createFdSink({ fd: 1 });
  return stdout;
}

function isPipeOrSocket(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

class FdSink implements LineSink {
  #lines: string[] = [];
  /** Characters in #lines. */
  #chars = 0;
  /** What is being written: the queued lines joined, or the unwritten bytes after a partial write; before #lines. */
  #rest: string | Buffer | undefined;
  #scheduled = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(readonly fd: number, readonly maxChars: number) {}

  write(line: string): void {
    if (this.#chars + (this.#rest?.length ?? 0) + line.length > this.maxChars) {
      dropped++;
      return;
    }
    this.#lines.push(line);
    this.#chars += line.length;
    // While a full pipe is waited for, the retry timer writes; no write is attempted per line.
    if (this.#scheduled || this.#retry !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  flushSync(waitMs = DEFAULT_EXIT_WAIT_MS): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const deadline = Date.now() + waitMs;
    while (!this.#writeAll()) {
      if (Date.now() >= deadline) {
        const n = this.#dropAll();
        note(`keygate: ${n} log line${n === 1 ? '' : 's'} dropped: fd ${this.fd} did not drain within ${waitMs} ms\n`);
        return;
      }
      sleepSync(RETRY_MS);
    }
  }

  #drain(): void {
    this.#retry = undefined;
    if (this.#writeAll()) return;
    this.#retry = setTimeout(() => this.#drain(), RETRY_MS);
    this.#retry.unref(); // at exit, the 'exit' flush writes what is left
  }

  /** Writes until everything is out (true) or the descriptor is full (false). Any other error drops what is queued. */
  #writeAll(): boolean {
    for (;;) {
      if (this.#rest === undefined) {
        if (this.#lines.length === 0) return true;
        // Written as a string: node encodes it straight into the write (no Buffer copy on the way); bytes only after a partial write.
        this.#rest = this.#lines.join('');
        this.#lines = [];
        this.#chars = 0;
      }
      try {
        const rest = this.#rest;
        if (typeof rest === 'string') {
          const n = writeSync(this.fd, rest);
          this.#rest = n >= Buffer.byteLength(rest) ? undefined : Buffer.from(rest).subarray(n);
        } else {
          const n = writeSync(this.fd, rest);
          this.#rest = n >= rest.length ? undefined : rest.subarray(n);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        // EPIPE (no reader left), EBADF, ...: these lines cannot be written; count them.
        this.#dropAll();
        return true;
      }
    }
  }

  /** Drops every queued line, counting it; returns how many. */
  #dropAll(): number {
    let n = this.#lines.length;
    const rest = this.#rest;
    if (rest !== undefined) for (let i = rest.indexOf('\n'); i !== -1; i = rest.indexOf('\n', i + 1)) n++;
    this.#lines = [];
    this.#chars = 0;
    this.#rest = undefined;
    dropped += n;
    return n;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` (only on the way out: a final flush waiting for a full pipe). */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Best-effort note on stderr. */
function note(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr gone too: the count in keygate_log_lines_dropped_total is all that is left.
  }
}
