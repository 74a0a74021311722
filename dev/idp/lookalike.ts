/** startKeycloakLookalike: the HTTP listener, Keycloak's URL layout, and the test controls. */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { DevIdpError } from './errors.js';
import { sendJson } from './http-util.js';
import { KeyRing } from './keys.js';
import { endUserSessions } from './logout.js';
import { assertLoopbackHost, urlHost } from './loopback.js';
import { mintAccessToken, mintLogoutToken } from './mint.js';
import { buildProvider, ROUTES, type LookalikeState, type OidcProviderModule } from './provider.js';
import { Realm } from './realm.js';
import { makeRouter, providerHandle, type Handler, type ProviderHandle } from './router.js';
import { MemoryStore } from './store.js';
import { requestClientCredentials } from './token-client.js';
import type {
  ClaimOverrides, EndSessionsResult, KeycloakLookalike, KeycloakLookalikeOptions, LogoutTokenClaims, MintOptions,
  PublicJwk, UserRolesUpdate,
} from './types.js';

const REALM_NAME = /^[A-Za-z0-9._-]+$/;

function checkOptions(options: KeycloakLookalikeOptions): { host: string; port: number; realm: string; ttl: number } {
  const host = options.host ?? '127.0.0.1';
  assertLoopbackHost(host);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DevIdpError('ERR_DEV_IDP_BAD_OPTIONS', `port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  const realm = options.realm ?? 'demo';
  if (!REALM_NAME.test(realm)) {
    throw new DevIdpError('ERR_DEV_IDP_BAD_OPTIONS', `realm must match ${REALM_NAME.source}, got "${realm}"`);
  }
  const ttl = options.accessTokenTtlSeconds ?? 300;
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new DevIdpError('ERR_DEV_IDP_BAD_OPTIONS', `accessTokenTtlSeconds must be a positive integer, got ${String(ttl)}`);
  }
  return { host, port, realm, ttl };
}

async function listen(handler: Handler, host: string, port: number): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

async function shutdown(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Pooled keep-alive connections would otherwise still reach the handler after stop().
  server.closeAllConnections();
  await closed;
  // Let in-process clients see the closed sockets, so their next request connects anew and is refused
  // (ECONNREFUSED) instead of failing on a stale pooled socket.
  await new Promise((resolve) => setTimeout(resolve, 20));
}

function boundPort(server: Server): number {
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('invariant: a TCP server has an address');
  return address.port;
}

/** The running look-alike: owns the listener and the current provider, and implements the controls. */
class RunningLookalike implements KeycloakLookalike {
  readonly issuer: string;
  readonly url: string;
  readonly realm: string;
  readonly port: number;
  readonly #state: LookalikeState;
  readonly #oidc: OidcProviderModule;
  readonly #host: string;
  readonly #handler: Handler;
  #provider: ProviderHandle;
  #server: Server | undefined;
  #closed = false;

  constructor(state: LookalikeState, oidc: OidcProviderModule, server: Server, host: string, url: string) {
    this.#state = state;
    this.#oidc = oidc;
    this.#server = server;
    this.#host = host;
    this.issuer = state.issuer;
    this.url = url;
    this.realm = state.realm.name;
    this.port = boundPort(server);
    this.#provider = providerHandle(buildProvider(state, oidc));
    this.#handler = makeRouter(state, () => this.#provider);
  }

  /** The listener's entry point; reads the current provider on every request. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#handler(req, res);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await shutdown(server);
  }

  async start(): Promise<void> {
    if (this.#closed) throw new DevIdpError('ERR_DEV_IDP_CLOSED', 'the look-alike was closed; start a new one');
    if (this.#server !== undefined) return;
    this.#server = await listen((req, res) => this.handle(req, res), this.#host, this.port);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.stop();
  }

  async rotateKeys(options: { readonly keepOld?: boolean } = {}): Promise<void> {
    await this.#state.keys.rotate(options.keepOld ?? false);
    // The provider's keystore is fixed at construction; sessions and grants live in the shared store.
    this.#provider = providerHandle(buildProvider(this.#state, this.#oidc));
  }

  currentKid(): string {
    return this.#state.keys.current.kid;
  }

  setUserRoles(username: string, update: UserRolesUpdate): void {
    this.#state.realm.setUserRoles(username, update);
  }

  async endSessions(username: string): Promise<EndSessionsResult> {
    return endUserSessions(this.#state, this.#state.realm.getUser(username));
  }

  async mintAccessToken(overrides: ClaimOverrides = {}, options: MintOptions = {}): Promise<string> {
    return mintAccessToken(this.#state, overrides, options);
  }

  async mintLogoutToken(claims: LogoutTokenClaims, options: MintOptions = {}): Promise<string> {
    return mintLogoutToken(this.#state, claims, options);
  }

  publicJwks(): { keys: PublicJwk[] } {
    return this.#state.keys.publicJwks();
  }

  async clientCredentialsToken(clientId: string, secret: string): Promise<string> {
    return requestClientCredentials(`${this.issuer}${ROUTES.token}`, clientId, secret);
  }

  subjectOf(username: string): string {
    return this.#state.realm.getUser(username).id;
  }
}

/** Starts a Keycloak look-alike IdP on a loopback address; see KeycloakLookalikeOptions. */
export async function startKeycloakLookalike(options: KeycloakLookalikeOptions = {}): Promise<KeycloakLookalike> {
  const checked = checkOptions(options);
  const realm = new Realm(checked.realm, options.users ?? [], options.clients ?? []);
  // Loaded here, not at import time: oidc-provider is only needed by tests and `keygate dev`.
  const oidc: OidcProviderModule = await import('oidc-provider');
  const keys = await KeyRing.generate();
  // The issuer holds the port, which is known only once listening: requests wait for the route.
  let lookalike: RunningLookalike | undefined;
  const server = await listen((req, res) => {
    if (lookalike === undefined) sendJson(res, 503, { error: 'temporarily_unavailable' });
    else lookalike.handle(req, res);
  }, checked.host, checked.port);
  const url = `http://${urlHost(checked.host)}:${boundPort(server)}`;
  const state: LookalikeState = {
    issuer: `${url}/realms/${checked.realm}`,
    realm,
    keys,
    store: new MemoryStore(),
    cookieKeys: [randomBytes(32).toString('base64url')],
    endedSids: new Set(),
    accessTokenTtlSeconds: checked.ttl,
    audience: [...(options.audience ?? [])],
  };
  try {
    lookalike = new RunningLookalike(state, oidc, server, checked.host, url);
  } catch (error) {
    await shutdown(server);
    throw error;
  }
  return lookalike;
}
