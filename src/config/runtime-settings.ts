/** Request-size limits and graceful-shutdown timing. */
import { KEYS } from './keys.js';
import { orDefault, readInt } from './read.js';
import type { Ctx } from './source.js';
import type { LimitsConfig, ShutdownConfig } from './types.js';

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
