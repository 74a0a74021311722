/** Request-size limits, graceful-shutdown timing, and the bounds of calls to Keycloak and Redis. */
import { readTracingSettings } from '../telemetry/settings.js';
import { KEYS } from './keys.js';
import { orDefault, readBool, readInt } from './read.js';
import { envProblem, type Ctx } from './source.js';
import type { IdpBoundsConfig, LimitsConfig, RedisBoundsConfig, ShutdownConfig, TracingConfig } from './types.js';

/** Defaults of the limits section: room for a 40-role session cookie in chunks plus the app's own cookies; a logout token is 1-2 KB. */
export const DEFAULT_LIMITS: LimitsConfig = { maxHeaderBytes: 32 * 1024, maxBodyBytes: 16 * 1024 };

/** Defaults of the shutdown section: Kubernetes needs a few seconds to drop a terminating pod from its endpoints; a preStop sleep of 5 s + 5 + 15 stays below its default 30 s grace period. */
export const DEFAULT_SHUTDOWN: ShutdownConfig = { drainDelaySeconds: 5, graceSeconds: 15 };

/** limits.maxHeaderBytes (4 KiB-1 MiB) and limits.maxBodyBytes (1 KiB-10 MiB). */
export function readLimits(ctx: Ctx): LimitsConfig {
  return {
    maxHeaderBytes: orDefault(readInt(ctx, KEYS.maxHeaderBytes, 4096, 1024 * 1024), DEFAULT_LIMITS.maxHeaderBytes),
    maxBodyBytes: orDefault(readInt(ctx, KEYS.maxBodyBytes, 1024, 10 * 1024 * 1024), DEFAULT_LIMITS.maxBodyBytes),
  };
}

/** shutdown.drainDelaySeconds (0-300) and shutdown.graceSeconds (1-600). */
export function readShutdown(ctx: Ctx): ShutdownConfig {
  return {
    drainDelaySeconds: orDefault(readInt(ctx, KEYS.drainDelay, 0, 300), DEFAULT_SHUTDOWN.drainDelaySeconds),
    graceSeconds: orDefault(readInt(ctx, KEYS.shutdownGrace, 1, 600), DEFAULT_SHUTDOWN.graceSeconds),
  };
}

/**
 * Defaults of the idp section: every call to Keycloak answers within 5 s (well under Traefik's 30 s forwardAuth timeout,
 * even for a refresh followed by a JWKS wait), a Keycloak discovery document, token answer or JWKS is a few KB.
 */
export const DEFAULT_IDP_BOUNDS: IdpBoundsConfig = { timeoutMs: 5_000, maxResponseBytes: 512 * 1024, maxJwksKeys: 100 };

/** Defaults of the redis section (ioredis connectTimeout and commandTimeout). */
export const DEFAULT_REDIS_BOUNDS: RedisBoundsConfig = { connectTimeoutMs: 3_000, commandTimeoutMs: 2_000 };

/** idp.timeoutMs (100-20000: a subrequest must end before the proxy's 30 s), idp.maxResponseBytes (16 KiB-16 MiB), idp.maxJwksKeys (1-1000). */
export function readIdpBounds(ctx: Ctx): IdpBoundsConfig {
  return {
    timeoutMs: orDefault(readInt(ctx, KEYS.idpTimeout, 100, 20_000), DEFAULT_IDP_BOUNDS.timeoutMs),
    maxResponseBytes: orDefault(readInt(ctx, KEYS.idpMaxResponseBytes, 16 * 1024, 16 * 1024 * 1024), DEFAULT_IDP_BOUNDS.maxResponseBytes),
    maxJwksKeys: orDefault(readInt(ctx, KEYS.idpMaxJwksKeys, 1, 1000), DEFAULT_IDP_BOUNDS.maxJwksKeys),
  };
}

/** redis.connectTimeoutMs (100-30000) and redis.commandTimeoutMs (50-20000). */
export function readRedisBounds(ctx: Ctx): RedisBoundsConfig {
  return {
    connectTimeoutMs: orDefault(readInt(ctx, KEYS.redisConnectTimeout, 100, 30_000), DEFAULT_REDIS_BOUNDS.connectTimeoutMs),
    commandTimeoutMs: orDefault(readInt(ctx, KEYS.redisCommandTimeout, 50, 20_000), DEFAULT_REDIS_BOUNDS.commandTimeoutMs),
  };
}

/**
 * Tracing: on only through the standard OTEL_* variables (telemetry/settings), each bad one an error naming it;
 * tracing.subject (KEYGATE_TRACE_SUBJECT) adds the subject id to decision spans, and warns when tracing is off.
 */
export function readTracing(ctx: Ctx, env: Readonly<Record<string, string | undefined>>): TracingConfig | undefined {
  const read = readBool(ctx, KEYS.traceSubject);
  const subject = orDefault(read, false);
  const { settings, problems } = readTracingSettings(env);
  for (const p of problems) ctx.errors.push(envProblem(p.variable, p.message));
  if (settings === undefined) {
    if (read.state === 'ok' && subject && problems.length === 0) ctx.warnings.push(read.found.problem('is true but tracing is off (no OTEL_TRACES_EXPORTER=otlp or OTEL_EXPORTER_OTLP_ENDPOINT): it has no effect'));
    return undefined;
  }
  return { ...settings, subject };
}
