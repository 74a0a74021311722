/** The I/O shell around validateConfig: reads the config file and `*_FILE` secrets from disk. Never throws for bad input. */
import { readFileSync } from 'node:fs';
import type { Problem, Validated } from '../util/problems.js';
import { parseYamlSource } from '../util/yaml-source.js';
import { CONFIG_VARIABLE } from './keys.js';
import type { Config } from './types.js';
import { validateConfig } from './validate.js';

/** Where to load from: `configFile` (from `--config`) wins over `$KEYGATE_CONFIG`; neither means environment only. */
export interface LoadOptions {
  readonly configFile?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/** Loads and validates the configuration from the config file and the environment, reporting every problem. */
export function loadConfig(options: LoadOptions): Validated<Config> {
  const fromEnv = options.env[CONFIG_VARIABLE];
  const file = options.configFile ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : undefined);
  if (file === undefined) return validateConfig({ env: options.env, readFile: readUtf8 });
  let text: string;
  try {
    text = readUtf8(file);
  } catch (err) {
    // Without the file, every other problem would be a guess; report this one alone.
    const message = `cannot read the config file: ${readError(err)}`;
    const problem: Problem =
      options.configFile === undefined
        ? { source: { kind: 'env', variable: CONFIG_VARIABLE }, path: '', message: `cannot read ${JSON.stringify(file)}: ${readError(err)}` }
        : { source: { kind: 'file', file, line: 1, column: 1 }, path: '', message };
    return { errors: [problem], warnings: [] };
  }
  return validateConfig({ yaml: parseYamlSource(text, file), env: options.env, readFile: readUtf8 });
}

/** Reads a file as UTF-8 text. */
function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}

/** `ENOENT: no such file or directory`, without Node's repeated path. */
function readError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.message.split(', ')[0] ?? err.message;
}
