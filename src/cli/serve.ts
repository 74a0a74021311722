/** `keygate serve`: load and validate the config, start the service, shut down cleanly on SIGTERM/SIGINT. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { isAuthError } from '../errors.js';
import { startService } from '../main.js';
import { createSessionModule } from '../session/module.js';
import { formatProblem } from '../util/problems.js';
import type { CliIo } from './io.js';

/** Runs the service until a termination signal; resolves to the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false, strict: true });
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
    if (isAuthError(err)) io.stderr(`keygate: ${err.message}\n${err.detail ?? ''}\n`);
    else io.stderr(`keygate: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const running = service;
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      running.log.info('shutting down', { signal });
      const force = setTimeout(() => resolve(1), 10_000);
      force.unref();
      void running.close().then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
