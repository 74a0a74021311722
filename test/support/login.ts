/** Browserless sign-in through a gateway, for integration tests (the real-browser tests use Chromium). */
import { CookieClient, submitLoginForm } from './idp.js';

/** Headers a browser sends on a top-level navigation. */
export const NAVIGATE = { accept: 'text/html,application/xhtml+xml', 'sec-fetch-mode': 'navigate' } as const;

/** Opens `url` as a navigation, signs in at the Keycloak look-alike's form, and follows redirects back. */
export async function signIn(client: CookieClient, url: string, username: string, password: string): Promise<{ response: Response; url: URL; loginPage: URL }> {
  const first = await client.follow(url, { headers: NAVIGATE });
  const html = await first.response.text();
  if (!html.includes('kc-form-login')) throw new Error(`expected the login form at ${first.url.href}, got ${first.response.status}: ${html.slice(0, 200)}`);
  const submitted = await submitLoginForm(client, { html, url: first.url }, username, password);
  const location = submitted.headers.get('location');
  if (location === null) throw new Error(`login form answered ${submitted.status} without a redirect`);
  await submitted.arrayBuffer();
  const back = await client.follow(new URL(location, first.url));
  return { ...back, loginPage: first.url };
}
