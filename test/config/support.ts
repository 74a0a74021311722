/** Shared fixtures for the config tests: a valid base environment and a runner that formats problems. */
import type { Config } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate.js';
import { formatProblem, type Validated } from '../../src/util/problems.js';
import { parseYamlSource } from '../../src/util/yaml-source.js';

/** A session secret of 40 bytes; tests assert it never shows up in a message. */
export const SESSION_SECRET = 'S3ss10n-s3cr3t-f0r-t3sts-0123456789abcd';
/** A client secret; tests assert it never shows up in a message. */
export const CLIENT_SECRET = 'cl13nt-s3cr3t-XyZ';

/** The smallest valid environment: every required setting, nothing else. */
export const BASE_ENV: Readonly<Record<string, string>> = {
  KEYGATE_ISSUER: 'https://keycloak.example.com/realms/acme',
  KEYGATE_CLIENT_ID: 'keygate',
  KEYGATE_CLIENT_SECRET: CLIENT_SECRET,
  KEYGATE_AUTHORIZED_PARTIES: 'keygate',
  KEYGATE_SESSION_SECRETS: SESSION_SECRET,
  KEYGATE_POLICY: '/etc/keygate/policy.yaml',
};

/** Input of `run`: YAML text (named `file`), environment over BASE_ENV (undefined deletes), and readable files. */
export interface RunInput {
  readonly yaml?: string;
  readonly file?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Start from an empty environment instead of BASE_ENV. */
  readonly bare?: boolean;
  readonly files?: Readonly<Record<string, string>>;
}

/** Runs validateConfig on the input. */
export function run(input: RunInput): Validated<Config> {
  const env: Record<string, string | undefined> = { ...(input.bare === true ? {} : BASE_ENV), ...input.env };
  const files = input.files ?? {};
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
  const yaml = input.yaml === undefined ? undefined : parseYamlSource(input.yaml, input.file ?? 'keygate.yaml');
  return validateConfig({ yaml, env, readFile });
}

/** The formatted errors. */
export function errorsOf(r: Validated<Config>): string[] {
  return r.errors.map(formatProblem);
}

/** The formatted warnings. */
export function warningsOf(r: Validated<Config>): string[] {
  return r.warnings.map(formatProblem);
}

/** The config of a run that must be valid. */
export function valueOf(r: Validated<Config>): Config {
  if (r.value === undefined) throw new Error(`expected a valid config, got:\n${errorsOf(r).join('\n')}`);
  return r.value;
}
