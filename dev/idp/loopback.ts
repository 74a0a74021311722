/** The look-alike is a dev IdP: it only ever listens on a loopback address. */

import { isIPv4, isIPv6 } from 'node:net';

import { DevIdpError } from './errors.js';

/** True for `localhost`, 127.0.0.0/8 and ::1 (also written as an IPv4-mapped address). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIPv4(bare)) return bare.split('.')[0] === '127';
  if (isIPv6(bare)) {
    const lower = bare.toLowerCase();
    if (lower.startsWith('::ffff:')) return isLoopbackHost(lower.slice('::ffff:'.length));
    return /^(0{0,4}:){2,7}0{0,3}1$/.test(lower) || lower === '::1';
  }
  return false;
}

/** Throws ERR_DEV_IDP_NOT_LOOPBACK unless host is a loopback address. */
export function assertLoopbackHost(host: string): void {
  if (!isLoopbackHost(host)) {
    throw new DevIdpError(
      'ERR_DEV_IDP_NOT_LOOPBACK',
      `the Keycloak look-alike is a development IdP and only listens on loopback addresses (127.0.0.1, ::1, localhost), got host "${host}"`,
    );
  }
}

/** Host as it appears in a URL: IPv6 addresses get brackets. */
export function urlHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}
