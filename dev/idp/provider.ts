/** Builds the oidc-provider instance configured to look like a Keycloak realm. */

import type * as OidcModule from 'oidc-provider';
import type {
  AccessToken, Account, ClientCredentials, ClientMetadata, Configuration, JWTStructured, KoaContextWithOIDC, Provider,
} from 'oidc-provider';

import { accessTokenPayload, audienceClaim, profileClaims, serviceAccountClaims, userAccessTokenClaims } from './claims.js';
import { makeLogoutSource } from './logout.js';
import type { MintContext } from './mint.js';
import { errorPage, loggedOutPage } from './pages.js';
import { SESSION_COOKIE } from './sessionless-logout.js';
import type { MemoryStore } from './store.js';

/** The oidc-provider module, loaded on first start so that `keygate serve` never needs it. */
export type OidcProviderModule = typeof OidcModule;

/** Everything a provider instance is built from; it outlives provider rebuilds on key rotation. */
export interface LookalikeState extends MintContext {
  readonly store: MemoryStore;
  /** Keys for oidc-provider's signed cookies; fixed so sessions survive rebuilds. */
  readonly cookieKeys: readonly string[];
  /** `sid` values of ended sessions: the shims answer inactive for tokens that carry them. */
  readonly endedSids: Set<string>;
}

/** Keycloak's routes under `/realms/<realm>`. */
export const ROUTES = {
  authorization: '/protocol/openid-connect/auth',
  token: '/protocol/openid-connect/token',
  jwks: '/protocol/openid-connect/certs',
  introspection: '/protocol/openid-connect/token/introspect',
  userinfo: '/protocol/openid-connect/userinfo',
  end_session: '/protocol/openid-connect/logout',
  revocation: '/protocol/openid-connect/revoke',
  pushed_authorization_request: '/protocol/openid-connect/ext/par/request',
  device_authorization: '/protocol/openid-connect/auth/device',
  backchannel_authentication: '/protocol/openid-connect/ext/ciba/auth',
  registration: '/clients-registrations/openid-connect',
} as const;

/** The login form's path under `/realms/<realm>`. */
export const LOGIN_ACTIONS_PATH = '/login-actions/authenticate';

/** Keycloak's default client scopes; `openid` is what makes a request an OIDC one. */
const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'roles', 'web-origins', 'acr', 'basic', 'address', 'phone', 'groups'];

/** Refresh tokens live as long as Keycloak's default SSO session idle timeout. */
const REFRESH_TOKEN_TTL_SECONDS = 30 * 60;
/** Keycloak's default SSO session max lifespan. */
const SESSION_TTL_SECONDS = 10 * 60 * 60;

/** The resource indicator all access tokens are issued for; it is what makes them JWTs. */
function accessTokenResource(state: LookalikeState): string {
  return state.issuer;
}

function clientMetadata(state: LookalikeState): ClientMetadata[] {
  // Redirect URIs are checked by our own matcher (wildcards, see realm.ts); the provider only needs
  // one syntactically valid URI, which the matcher never allows.
  const placeholder = `${state.issuer}/lookalike/redirect-uris-are-matched-by-pattern`;
  return state.realm.clients.map((client) => ({
    client_id: client.clientId,
    client_secret: client.secret,
    grant_types: ['authorization_code', 'refresh_token', ...(client.serviceAccount === undefined ? [] : ['client_credentials'])],
    response_types: ['code'],
    redirect_uris: [placeholder],
    post_logout_redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    ...(client.backchannelLogoutUri === undefined ? {} : {
      backchannel_logout_uri: client.backchannelLogoutUri,
      backchannel_logout_session_required: true,
    }),
  }));
}

async function findAccount(state: LookalikeState, sub: string): Promise<Account | undefined> {
  const user = state.realm.findUserById(sub);
  if (user === undefined) return undefined;
  return {
    accountId: sub,
    // Keycloak marks ID tokens with `typ: ID`; userinfo is answered by our shim, never from here.
    claims: (use) => ({ sub, ...profileClaims(user), ...(use === 'id_token' ? { typ: 'ID' } : {}) }),
  };
}

/** Rewrites the provider's RFC 9068 access token into Keycloak's shape (header `typ: JWT`). */
function keycloakAccessToken(state: LookalikeState, token: AccessToken | ClientCredentials, parts: JWTStructured): void {
  const { payload } = parts;
  const clientId = token.clientId;
  const { exp, iat, jti } = payload;
  if (clientId === undefined || typeof exp !== 'number' || typeof iat !== 'number' || typeof jti !== 'string') {
    throw new Error('invariant: oidc-provider access tokens carry client, exp, iat and jti');
  }
  const common = { exp, iat, jti, iss: state.issuer, aud: audienceClaim(state.audience), azp: clientId };
  if (token.kind === 'ClientCredentials') {
    const account = state.realm.findClient(clientId)?.serviceAccount;
    if (account === undefined) throw new Error(`client "${clientId}" has no service account`);
    parts.payload = accessTokenPayload(
      { ...common, sub: account.id, scope: token.scope ?? 'profile email' },
      serviceAccountClaims(account, clientId),
    );
  } else {
    const user = state.realm.findUserById(token.accountId);
    if (user === undefined) throw new Error('the token\'s user no longer exists');
    parts.payload = accessTokenPayload(
      { ...common, sub: user.id, scope: token.scope ?? 'openid', ...(token.sid === undefined ? {} : { sid: token.sid }) },
      userAccessTokenClaims(user),
    );
  }
  parts.header = { typ: 'JWT' };
}

/** Auto-consent: the grant always covers what the client asks for, so no consent screen shows. */
async function grantEverything(ctx: KoaContextWithOIDC): Promise<InstanceType<Provider['Grant']> | undefined> {
  const { oidc } = ctx;
  const accountId = oidc.session?.accountId;
  const client = oidc.client;
  if (accountId === undefined || client === undefined) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(client.clientId);
  const existing = grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
  const grant = existing !== undefined && existing.accountId === accountId
    ? existing
    : new oidc.provider.Grant({ accountId, clientId: client.clientId });
  grant.addOIDCScope(oidc.requestParamScopes);
  if (oidc.requestParamClaims.size > 0) grant.addOIDCClaims(oidc.requestParamClaims);
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    grant.addResourceScope(indicator, server.scope);
  }
  await grant.save();
  return grant;
}

function configuration(state: LookalikeState, oidc: OidcProviderModule): Configuration {
  const ttl = state.accessTokenTtlSeconds;
  const resource = accessTokenResource(state);
  const realmPath = new URL(state.issuer).pathname;
  const cookieOptions = { httpOnly: true, sameSite: 'lax', path: `${realmPath}/` } as const;
  return {
    adapter: state.store.adapterFactory,
    clients: clientMetadata(state),
    jwks: state.keys.privateSigningJwks(),
    cookies: {
      names: { session: SESSION_COOKIE, interaction: 'AUTH_SESSION_ID', resume: 'AUTH_SESSION_ID_RESUME' },
      long: cookieOptions,
      short: { httpOnly: true, sameSite: 'lax' },
      keys: [...state.cookieKeys],
    },
    routes: ROUTES,
    scopes: SCOPES,
    claims: {
      openid: ['sub', 'typ'],
      profile: ['preferred_username', 'name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    // Keycloak puts profile claims in the ID token even when an access token is issued.
    conformIdTokenClaims: false,
    allowOmittingSingleRegisteredRedirectUri: false,
    findAccount: async (_ctx, sub) => findAccount(state, sub),
    // Keycloak issues a refresh token with every code exchange, not only with offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Keycloak's default: a refresh token may be used again until it expires.
    rotateRefreshToken: false,
    loadExistingGrant: grantEverything,
    pkce: { required: () => false },
    formats: { customizers: { jwt: (_ctx, token, parts) => keycloakAccessToken(state, token, parts) } },
    interactions: {
      url: (_ctx, interaction) => {
        const query = new URLSearchParams({ session_code: interaction.uid });
        const clientId = interaction.params.client_id;
        if (typeof clientId === 'string') query.set('client_id', clientId);
        return `${realmPath}${LOGIN_ACTIONS_PATH}?${query.toString()}`;
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      // Introspection and userinfo are served by our shims (oidc-provider refuses JWT access tokens there).
      introspection: { enabled: false },
      userinfo: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: makeLogoutSource(state, cookieOptions),
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = loggedOutPage(state.realm.name);
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new oidc.errors.InvalidTarget();
          return {
            scope: SCOPES.join(' '),
            audience: 'account',
            accessTokenTTL: ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      IdToken: ttl,
      AuthorizationCode: 60,
      RefreshToken: REFRESH_TOKEN_TTL_SECONDS,
      Session: SESSION_TTL_SECONDS,
      Grant: SESSION_TTL_SECONDS,
      Interaction: 30 * 60,
    },
    discovery: {
      introspection_endpoint: `${state.issuer}${ROUTES.introspection}`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      userinfo_endpoint: `${state.issuer}${ROUTES.userinfo}`,
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(state.realm.name, out.error_description ?? out.error);
    },
  };
}

/** A new provider over the state; called at start and after each key rotation. */
export function buildProvider(state: LookalikeState, oidc: OidcProviderModule): Provider {
  const provider = new oidc.default(state.issuer, configuration(state, oidc));
  // oidc-provider's documented way to support redirect URI wildcards: replace the matchers.
  const realm = state.realm;
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(uri: string): boolean {
    return realm.findClient(this.clientId)?.redirectAllowed(uri) ?? false;
  };
  // Keycloak puts the session id (`sid`) in every user token, not only for back-channel logout clients.
  provider.Client.prototype.includeSid = (): boolean => true;
  provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutAllowed(uri: string): boolean {
    return realm.findClient(this.clientId)?.postLogoutRedirectAllowed(uri) ?? false;
  };
  return provider;
}
