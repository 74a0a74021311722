/**
 * Session-cookie scenario set-up: one real login per bench user through keygate's own flow (auth-host mode,
 * `/_keygate/start` → look-alike login form → `/_keygate/callback`), keeping the session cookie it sets.
 * Only the HTTP contract of DESIGN §2 is used, so this runs unchanged once `keygate serve` wires src/session in.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LookalikeUser } from '../dev/idp/index.js';
import { CookieClient, submitLoginForm } from '../test/support/idp.js';
import { ROOT } from './procs.js';

/** Session cookies for the scenario, or why the scenario cannot run yet. */
export type SessionSetup =
  | { readonly kind: 'ready'; readonly cookies: readonly string[] }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Whether the session layer has been built at all (compiled modules in dist/src/session). */
export function sessionLayerBuilt(): boolean {
  const dir = join(ROOT, 'dist/src/session');
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.js'));
}

/**
 * Logs each user in and returns their Cookie headers for `/auth`. `unavailable` when the layer is not built or
 * `keygate serve` does not serve the login flow; any other failure throws (a broken login must fail loudly).
 */
export async function sessionCookies(keygateUrl: string, returnTo: string, users: readonly LookalikeUser[]): Promise<SessionSetup> {
  if (!sessionLayerBuilt()) return { kind: 'unavailable', reason: 'sessions not built yet' };
  const probe = await fetch(`${keygateUrl}/_keygate/start?rd=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
  await probe.arrayBuffer();
  if (probe.status === 404) return { kind: 'unavailable', reason: 'sessions not built yet: src/session exists but `keygate serve` does not serve /_keygate/start' };
  const cookies: string[] = [];
  for (const user of users) cookies.push(await loginOnce(keygateUrl, returnTo, user));
  return { kind: 'ready', cookies };
}

async function loginOnce(keygateUrl: string, returnTo: string, user: LookalikeUser): Promise<string> {
  const client = new CookieClient();
  const back = new URL(returnTo);
  const atReturn = (next: URL): boolean => next.host === back.host;
  const start = await client.follow(`${keygateUrl}/_keygate/start?rd=${encodeURIComponent(returnTo)}`, {}, atReturn);
  if (start.response.status !== 200) throw new Error(`login for ${user.username}: expected the login form, got HTTP ${start.response.status} at ${start.url.href}`);
  const submitted = await submitLoginForm(client, { html: await start.response.text(), url: start.url }, user.username, user.password);
  const location = submitted.headers.get('location');
  await submitted.arrayBuffer();
  if (location === null) throw new Error(`login for ${user.username}: the login form answered HTTP ${submitted.status} without a redirect`);
  const done = await client.follow(new URL(location, start.url), {}, atReturn);
  if (!atReturn(done.url)) throw new Error(`login for ${user.username}: ended at ${done.url.href} (HTTP ${done.response.status}), not back at ${returnTo}`);
  const cookie = client.cookieHeader(new URL(`${keygateUrl}/auth`));
  if (cookie === '') throw new Error(`login for ${user.username}: keygate set no session cookie`);
  return cookie;
}
