/**
 * Configuration of the peers `npm run bench` measures keygate against (issue 15), as pure functions: every peer
 * gets the same job (verify a Keycloak-shaped RS256 bearer token against the look-alike's JWKS, require the realm
 * role bench-reader, answer with identity headers). No I/O here; bench/peers.ts starts the processes.
 */
import { stringify } from 'yaml';

/** The identity headers keygate answers with, which Traefik copies upstream (as traefik/dynamic/keygate.yml lists them). */
export const IDENTITY_HEADERS = ['X-Auth-User', 'X-Auth-Email', 'X-Auth-Subject', 'X-Auth-Name', 'X-Auth-Roles', 'X-Auth-Groups'] as const;

/** What oauth2-proxy needs to verify the look-alike's bearer tokens. */
export interface OAuth2ProxyOptions {
  readonly port: number;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** 32 bytes, as oauth2-proxy requires for AES-256 cookies (never used: no request carries a cookie). */
  readonly cookieSecret: string;
  /** Realm role required (keycloak-oidc provider: realm_access.roles, checked as group `role:<name>`). */
  readonly role: string;
}

/**
 * oauth2-proxy's command line: `/oauth2/auth` (answers 202 on success) with bearer JWTs verified by the OIDC verifier
 * of the issuer's discovery document (signature with the JWKS, iss, aud = client id, exp), the keycloak-oidc provider's
 * role check, X-Auth-Request-* identity headers. Logging stays at its defaults (one request line and one auth line
 * per request, to a stdout the bench sends to /dev/null), as keygate keeps its audit line at info.
 */
export function oauth2ProxyArgs(o: OAuth2ProxyOptions): string[] {
  return [
    `--http-address=127.0.0.1:${o.port}`,
    '--provider=keycloak-oidc',
    `--oidc-issuer-url=${o.issuer}`,
    `--client-id=${o.clientId}`,
    `--client-secret=${o.clientSecret}`,
    `--redirect-url=http://127.0.0.1:${o.port}/oauth2/callback`,
    `--cookie-secret=${o.cookieSecret}`,
    '--cookie-secure=false',
    '--email-domain=*',
    '--skip-jwt-bearer-tokens',
    `--allowed-role=${o.role}`,
    '--set-xauthrequest',
    // Never reached: /oauth2/auth answers itself. oauth2-proxy refuses to start without an upstream.
    '--upstream=static://200',
  ];
}

/** What Apache + mod_auth_openidc needs. */
export interface ApacheOptions {
  readonly port: number;
  /** ServerRoot: PidFile, logs, runtime dir and the document root live under it. */
  readonly dir: string;
  readonly modules: string;
  readonly jwksUri: string;
  readonly role: string;
  readonly passphrase: string;
  /** Unprivileged user the children run as when started by root. */
  readonly user: string;
  /**
   * prefork: 64 single-threaded children, as mod_auth_openidc has to run here: under mpm_event (Debian's default)
   * wrk saw connections closed mid-request in every run, and its 2.4.12.3 children segfaulted (AH00052) in two of three.
   */
  readonly mpm: 'event' | 'prefork';
}

/** Process and thread limits per MPM: a fixed set of children, so no process is spawned or stopped during a run. */
function mpmDirectives(mpm: ApacheOptions['mpm']): string[] {
  // MaxSpareThreads/-Servers above the total, or Apache stops children while idle and wrk sees connections close.
  if (mpm === 'event') return ['StartServers 2', 'ServerLimit 2', 'ThreadsPerChild 32', 'MaxRequestWorkers 64', 'MinSpareThreads 1', 'MaxSpareThreads 128'];
  return ['StartServers 64', 'ServerLimit 64', 'MaxRequestWorkers 64', 'MinSpareServers 1', 'MaxSpareServers 128'];
}

/**
 * httpd.conf for Apache (mpm_event) with mod_auth_openidc as an OAuth 2.0 resource server: `AuthType oauth20`
 * verifies the bearer JWT's signature against the JWKS (OIDCOAuthVerifyJwksUri) and its exp, `Require claim`
 * checks the realm role, and mod_headers answers 200 with the claims as identity headers. A fixed set of children
 * (no process spawning during a run, so their CPU can be read), unlimited keep-alive requests like keygate's
 * server, no access log (keygate's audit line is at info; Apache's error log stays at warn).
 */
export function apacheConfig(o: ApacheOptions): string {
  const m = (name: string, file: string): string => `LoadModule ${name}_module ${o.modules}/mod_${file}.so`;
  const claim = (header: string, name: string): string => `  Header always set ${header} "%{OIDC_CLAIM_${name}}e"`;
  return [
    `ServerRoot "${o.dir}"`,
    'ServerName 127.0.0.1',
    `Listen 127.0.0.1:${o.port}`,
    `PidFile "${o.dir}/httpd.pid"`,
    `DefaultRuntimeDir "${o.dir}/run"`,
    `ErrorLog "${o.dir}/error.log"`,
    'LogLevel warn',
    `User ${o.user}`,
    `Group ${o.user}`,
    m(`mpm_${o.mpm}`, `mpm_${o.mpm}`), m('authn_core', 'authn_core'), m('authz_core', 'authz_core'), m('headers', 'headers'), m('auth_openidc', 'auth_openidc'),
    ...mpmDirectives(o.mpm), 'MaxConnectionsPerChild 0',
    'KeepAlive On', 'MaxKeepAliveRequests 0', 'KeepAliveTimeout 75',
    `DocumentRoot "${o.dir}/htdocs"`,
    `OIDCCryptoPassphrase ${o.passphrase}`,
    `OIDCOAuthVerifyJwksUri ${o.jwksUri}`,
    // The bench serves the JWKS on loopback with a self-signed certificate (bench/peers.ts startJwksTls).
    'OIDCOAuthSSLValidateServer Off',
    'OIDCOAuthRemoteUserClaim preferred_username',
    'OIDCPassClaimsAs environment',
    '<Location /auth>',
    '  AuthType oauth20',
    `  Require claim realm_access.roles:${o.role}`,
    claim('X-Auth-User', 'preferred_username'),
    claim('X-Auth-Email', 'email'),
    claim('X-Auth-Subject', 'sub'),
    claim('X-Auth-Roles', 'realm_access_roles'),
    '</Location>',
    '',
  ].join('\n');
}

/** What a bench Traefik needs: where it listens, the forward-auth address and the app. */
export interface TraefikBenchOptions {
  readonly port: number;
  readonly pingPort: number;
  readonly dynamicFile: string;
  /** Base URL of the auth server (keygate or the bare one); the middleware calls `${auth}/auth`. */
  readonly auth: string;
  readonly app: string;
}

/**
 * Static configuration: one plain-HTTP loopback entry point with the shipped aliasHeadersStrategy, ping on a second,
 * the file provider on one file, no access log and errors-only logging (the same for both Traefik rows).
 */
export function traefikStatic(o: TraefikBenchOptions): string {
  return stringify({
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    entryPoints: {
      web: { address: `127.0.0.1:${o.port}`, http: { aliasHeadersStrategy: 'delete' } },
      internal: { address: `127.0.0.1:${o.pingPort}` },
    },
    ping: { entryPoint: 'internal' },
    providers: { file: { filename: o.dynamicFile, watch: false } },
    log: { level: 'ERROR' },
  });
}

/** Dynamic configuration: every request through the forwardAuth middleware as traefik/dynamic/keygate.yml sets it, then the app. */
export function traefikDynamic(o: TraefikBenchOptions): string {
  return stringify({
    http: {
      middlewares: {
        auth: { forwardAuth: { address: `${o.auth}/auth`, trustForwardHeader: false, authResponseHeaders: [...IDENTITY_HEADERS], maxResponseBodySize: 65536 } },
      },
      routers: { app: { entryPoints: ['web'], rule: 'PathPrefix(`/`)', middlewares: ['auth'], service: 'app' } },
      services: { app: { loadBalancer: { servers: [{ url: o.app }] } } },
    },
  });
}
