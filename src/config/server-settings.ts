/** Listener, proxy trust, policy path, logging, redis, and redirect settings. */
import { dirname, isAbsolute, join } from 'node:path';
import { describe } from '../util/problems.js';
import { parseCidr } from './cidr.js';
import { httpUrlProblem, isHostname, isIpAddress, redirectHostProblem, redisUrlProblem } from './checks.js';
import { KEYS } from './keys.js';
import { fail, forEachItem, orDefault, readBool, readEnum, readInt, readList, readString, required, warn } from './read.js';
import type { Ctx } from './source.js';
import type { Config } from './types.js';

/** Peers trusted by default: the loopback addresses, i.e. a proxy on the same host or in the same pod. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['127.0.0.1/32', '::1/128'];

/** Log levels, most verbose first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

type ServerSettings = Pick<
  Config,
  'policyFile' | 'port' | 'host' | 'metricsPort' | 'trustedProxies' | 'passAccessToken' | 'logLevel' | 'redisUrl' | 'publicUrl' | 'redirectHosts'
>;

/** Everything about where keygate listens and whom it trusts; undefined when a value is missing or invalid. */
export function readServer(ctx: Ctx): ServerSettings | undefined {
  const policyFile = readPolicyFile(ctx);
  const port = readInt(ctx, KEYS.port, 1, 65535);
  const metrics = readInt(ctx, KEYS.metricsPort, 1, 65535);
  if (metrics.state === 'ok' && port.state !== 'invalid' && metrics.value === orDefault(port, 4181)) {
    fail(ctx, metrics.found, `must differ from port (${metrics.value}); leave it unset to serve /metrics on the main port`);
  }
  const hostRead = readString(ctx, KEYS.host);
  if (hostRead.state === 'ok' && !isIpAddress(hostRead.value) && !isHostname(hostRead.value)) {
    fail(ctx, hostRead.found, `must be an IP address or host name to listen on, such as 0.0.0.0 or ::, got ${describe(hostRead.value)}`);
  }
  const redisRead = readString(ctx, KEYS.redisUrl, true);
  const redisProblem = redisRead.state === 'ok' ? redisUrlProblem(redisRead.value) : undefined;
  if (redisRead.state === 'ok' && redisProblem !== undefined) fail(ctx, redisRead.found, redisProblem);
  const publicRead = readString(ctx, KEYS.publicUrl);
  const publicProblem = publicRead.state === 'ok' ? httpUrlProblem(publicRead.value) : undefined;
  if (publicRead.state === 'ok' && publicProblem !== undefined) fail(ctx, publicRead.found, publicProblem);
  const settings = {
    port: orDefault(port, 4181),
    host: orDefault(hostRead, '0.0.0.0'),
    metricsPort: orDefault(metrics, undefined),
    trustedProxies: readTrustedProxies(ctx),
    passAccessToken: orDefault(readBool(ctx, KEYS.passAccessToken), false),
    logLevel: orDefault(readEnum(ctx, KEYS.logLevel, LOG_LEVELS), 'info'),
    redisUrl: orDefault(redisRead, undefined),
    // A base URL: trailing slashes dropped so `${publicUrl}/_keygate/callback` has one.
    publicUrl: orDefault(publicRead, undefined)?.replace(/\/+$/, ''),
    redirectHosts: readRedirectHosts(ctx),
  };
  if (policyFile === undefined) return undefined;
  return { policyFile, ...settings };
}

/** policyFile: required; a relative path in the YAML file is resolved against the file's directory. */
function readPolicyFile(ctx: Ctx): string | undefined {
  const read = readString(ctx, KEYS.policyFile);
  const path = required(ctx, KEYS.policyFile, read);
  if (path === undefined || read.state !== 'ok') return undefined;
  // From the environment, a relative path is relative to the working directory, like any CLI path.
  if (read.found.fromEnv || ctx.yaml === undefined || isAbsolute(path)) return path;
  return join(dirname(ctx.yaml.file), path);
}

/** trustedProxies: a non-empty CIDR list, canonicalised; host bits and catch-all blocks are warned about. */
function readTrustedProxies(ctx: Ctx): string[] {
  const read = readList(ctx, KEYS.trustedProxies);
  if (read.state === 'absent') return [...DEFAULT_TRUSTED_PROXIES];
  if (read.state === 'ok' && read.value.length === 0) {
    fail(ctx, read.found, `must list at least one CIDR; without a trusted proxy every /auth request is refused (default ${DEFAULT_TRUSTED_PROXIES.join(', ')})`);
  }
  const out: string[] = [];
  forEachItem(read, ({ value, index }, found) => {
    const parsed = parseCidr(value);
    if (!parsed.ok) {
      fail(ctx, found, `must be an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8 or fd00::/8, got ${describe(value)}: ${parsed.reason}`, index);
      return;
    }
    const { cidr } = parsed;
    if (cidr.hostBitsSet) warn(ctx, found, `${describe(value)} has host bits set; it means ${cidr.text}`, index);
    if (cidr.prefix === 0) warn(ctx, found, `${cidr.text} trusts forwarded headers from every IPv${cidr.family} peer, so any client can forge its target`, index);
    if (!out.includes(cidr.text)) out.push(cidr.text);
  });
  return out;
}

/** redirectHosts: host names (or `*.domain`), lowercased. */
function readRedirectHosts(ctx: Ctx): string[] {
  const out: string[] = [];
  forEachItem(readList(ctx, KEYS.redirectHosts), ({ value, index }, found) => {
    const problem = redirectHostProblem(value);
    if (problem !== undefined) fail(ctx, found, problem, index);
    else if (!out.includes(value.toLowerCase())) out.push(value.toLowerCase());
  });
  return out;
}
