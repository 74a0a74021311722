/** Test fixtures around the Keycloak look-alike: the realm, a cookie-keeping HTTP client, a browserless login. */

import { rawFetch } from './raw-fetch.js';
import { createHash, randomBytes } from 'node:crypto';

import {
  DEMO_CI_READER, DEMO_CI_RUNNER, DEMO_USERS, demoKeygateClient, startKeycloakLookalike,
  type KeycloakLookalike, type KeycloakLookalikeOptions, type LookalikeClient, type LookalikeUser,
} from '../../dev/idp/index.js';

/** alice: password `alice`, realm role viewer, group /data/team-a. */
export const ALICE = { username: 'alice', password: 'alice', roles: ['viewer'], groups: ['/data/team-a'] } as const;
/** bob: password `bob`, realm roles engineer and viewer, client role prefect:operator, group /data/team-b. */
export const BOB = {
  username: 'bob', password: 'bob', roles: ['engineer', 'viewer', 'prefect:operator'], groups: ['/data/team-b'],
} as const;
/** carol: password `carol`, realm role admin, group /platform/admins. */
export const CAROL = { username: 'carol', password: 'carol', roles: ['admin'], groups: ['/platform/admins'] } as const;
/** The confidential login client. */
export const KEYGATE_CLIENT = { clientId: 'keygate', secret: 'keygate-secret' } as const;
/** Service account with realm role engineer. */
export const CI_RUNNER = { clientId: 'ci-runner', secret: 'ci-runner-secret' } as const;
/** Service account with realm role viewer. */
export const CI_READER = { clientId: 'ci-reader', secret: 'ci-reader-secret' } as const;

/** Overrides of the test IdP: look-alike options, the keygate client's URIs, and extra users or clients. */
export interface TestIdpOverrides extends Omit<KeycloakLookalikeOptions, 'users' | 'clients'> {
  /** keygate's redirect URIs (default: `/_keygate/callback` on any 127.0.0.1, localhost or *.localhost port). */
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly backchannelLogoutUri?: string;
  readonly extraUsers?: readonly LookalikeUser[];
  readonly extraClients?: readonly LookalikeClient[];
}

/** Starts a look-alike with alice, bob, carol, the `keygate` client and the two service accounts. */
export async function startTestIdp(overrides: TestIdpOverrides = {}): Promise<KeycloakLookalike> {
  const { redirectUris, postLogoutRedirectUris, backchannelLogoutUri, extraUsers = [], extraClients = [], ...options } = overrides;
  const keygate = demoKeygateClient({
    ...(redirectUris === undefined ? {} : { redirectUris }),
    ...(postLogoutRedirectUris === undefined ? {} : { postLogoutRedirectUris }),
    ...(backchannelLogoutUri === undefined ? {} : { backchannelLogoutUri }),
  });
  return startKeycloakLookalike({
    ...options,
    users: [...DEMO_USERS, ...extraUsers],
    clients: [keygate, DEMO_CI_RUNNER, DEMO_CI_READER, ...extraClients],
  });
}

interface StoredCookie {
  readonly value: string;
  readonly path: string;
}

/**
 * A fetch that keeps cookies per host name (ports share cookies, as in browsers) and never follows
 * redirects by itself, so tests see every hop.
 */
export class CookieClient {
  readonly #jar = new Map<string, Map<string, StoredCookie>>();

  /** One request with the jar's cookies; Set-Cookie answers update the jar. */
  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie !== '') headers.set('cookie', cookie);
    const response = await rawFetch(target, { ...init, headers });
    this.#store(target, response.headers.getSetCookie());
    return response;
  }

  /** Follows redirects (as GET) until an answer is not a redirect or `stop` accepts the next URL. */
  async follow(
    url: string | URL, init: RequestInit = {}, stop: (next: URL) => boolean = () => false,
  ): Promise<{ response: Response; url: URL }> {
    let current = new URL(url);
    let response = await this.fetch(current, init);
    for (let hops = 0; hops < 20; hops += 1) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status > 399 || location === null) return { response, url: current };
      const next = new URL(location, current);
      if (stop(next)) return { response, url: next };
      await response.arrayBuffer();
      current = next;
      response = await this.fetch(current);
    }
    throw new Error(`more than 20 redirects from ${String(url)}`);
  }

  /** The Cookie header the jar would send to url. */
  cookieHeader(url: URL): string {
    const cookies = this.#jar.get(url.hostname) ?? new Map<string, StoredCookie>();
    return [...cookies]
      .filter(([, cookie]) => url.pathname === cookie.path || url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  #store(url: URL, setCookies: readonly string[]): void {
    const cookies = this.#jar.get(url.hostname) ?? new Map<string, StoredCookie>();
    this.#jar.set(url.hostname, cookies);
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (key: string): string | undefined => attributes
        .find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const expires = attr('expires');
      const expired = attr('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, { value, path: attr('path') ?? '/' });
    }
  }
}

/** PKCE S256 pair (RFC 7636). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The `action` of Keycloak's `#kc-form-login` in an HTML page, resolved against the page URL. */
export function loginFormAction(html: string, pageUrl: URL): URL {
  const form = /<form\b[^>]*\bid="kc-form-login"[^>]*>/.exec(html)?.[0];
  const action = form === undefined ? undefined : /\baction="([^"]*)"/.exec(form)?.[1];
  if (action === undefined) throw new Error(`no #kc-form-login form at ${pageUrl.href}`);
  return new URL(action.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'"), pageUrl);
}

/** Submits Keycloak's login form found in page (an answer read from client.follow). */
export async function submitLoginForm(
  client: CookieClient, page: { html: string; url: URL }, username: string, password: string,
): Promise<Response> {
  return client.fetch(loginFormAction(page.html, page.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, credentialId: '' }),
  });
}
