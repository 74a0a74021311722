/**
 * A process that logs through keygate's logger to its stdout, for the log-sink tests (issue 17 point 6). Modes:
 * - `crash N`: logs N numbered lines over a few event-loop turns, then throws an uncaught exception;
 * - `serve MAX_CHARS`: a bounded sink of MAX_CHARS on stdout and an HTTP server on 127.0.0.1 (port printed on stderr
 *   as `port <n>`): `/log?n=N` logs N numbered lines, `/healthz` answers 200, `/metrics` is a createMetrics registry;
 *   SIGTERM flushes and exits 0.
 */
import { createServer } from 'node:http';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createFdSink } from '../../src/util/log-sink.js';
import { createLogger, type Logger } from '../../src/util/log.js';

const [mode, arg] = process.argv.slice(2);
const BURST = 1000;

/** Logs lines `from` .. `to - 1`, BURST per event-loop turn; resolves when all are queued. */
function logLines(log: Logger, from: number, to: number): Promise<void> {
  return new Promise((resolve) => {
    const step = (i: number): void => {
      const end = Math.min(to, i + BURST);
      for (let n = i; n < end; n++) log.info('line', { n, pad: 'x'.repeat(64) });
      if (end < to) setImmediate(step, end);
      else resolve();
    };
    step(from);
  });
}

if (mode === 'crash') {
  const log = createLogger({ level: 'info' });
  await logLines(log, 0, Number(arg));
  setTimeout(() => {
    throw new Error('log-child: deliberate crash');
  }, 10);
} else if (mode === 'serve') {
  const metrics = createMetrics({ defaultMetrics: false });
  const log = createLogger({ level: 'info', sink: createFdSink({ fd: 1, maxChars: Number(arg) }) });
  let next = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/log') {
      const n = Number(url.searchParams.get('n'));
      void logLines(log, next, next + n).then(() => res.end(String(n)));
      next += n;
    } else if (url.pathname === '/metrics') {
      void metrics.registry.metrics().then((text) => res.end(text));
    } else {
      res.end('ok');
    }
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stderr.write(`port ${typeof addr === 'object' && addr !== null ? addr.port : 0}\n`);
  });
  process.once('SIGTERM', () => {
    server.close();
    log.flush();
    process.exit(0);
  });
} else {
  process.stderr.write('usage: log-child crash N | serve MAX_CHARS\n');
  process.exit(2);
}
