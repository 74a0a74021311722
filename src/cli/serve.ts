/** `keygate serve`: load and validate the config, start the service, shut down gracefully on SIGTERM/SIGINT. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { isAuthError } from '../errors.js';
import { startService } from '../main.js';
import { createSessionModule } from '../session/module.js';
import { formatProblem } from '../util/problems.js';
import { argProblem, wantsHelp } from './args.js';
import type { CliIo } from './io.js';

/** The usage text of `keygate serve`. */
export const USAGE = `usage: keygate serve [--config FILE]

  -c, --config FILE   YAML config file (default: $KEYGATE_CONFIG; every key can also come from KEYGATE_* variables)
`;

const OPTIONS = { config: { type: 'string', short: 'c' } } as const;

/** Runs the service until a termination signal; resolves to the exit code (0 clean stop, 1 failure, 2 usage). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout(USAGE);
    return 0;
  }
  let values: { config?: string | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (err) {
    io.stderr(`keygate serve: ${argProblem(err, OPTIONS)}\n${USAGE}`);
    return 2;
  }
  const loaded = loadConfig({ ...(values.config !== undefined ? { configFile: values.config } : {}), env: process.env });
  for (const w of loaded.warnings) io.stderr(`warning: ${formatProblem(w)}\n`);
  if (loaded.value === undefined || loaded.errors.length > 0) {
    for (const e of loaded.errors) io.stderr(`${formatProblem(e)}\n`);
    io.stderr(`keygate: configuration invalid (${loaded.errors.length} problem${loaded.errors.length === 1 ? '' : 's'})\n`);
    return 1;
  }
  let service;
  try {
    service = await startService(loaded.value, { sessions: createSessionModule });
  } catch (err) {
    // Startup failed (a port in use, an invalid policy): startService has released what it opened, so the process exits now.
    if (isAuthError(err)) io.stderr(`keygate: ${err.message}\n${err.detail ?? ''}\n`);
    else io.stderr(`keygate: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const running = service;
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      running.log.info('shutting down', { signal });
      void running.shutdown().then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
