/** The validated configuration of keygate. Built by config/validate, read everywhere else. */
import type { TracingSettings } from '../telemetry/settings.js';

/** Names of the identity headers sent upstream on 200 answers. */
export interface HeaderNames {
  readonly user: string;
  readonly email: string;
  readonly subject: string;
  readonly name: string;
  readonly roles: string;
  readonly groups: string;
}

/** Session cookie settings. */
export interface CookieConfig {
  /** Cookie name (chunks get `.1`, `.2` … suffixes). Default `keygate`. */
  readonly name: string;
  /** Optional Domain attribute, e.g. `.example.com`. */
  readonly domain: string | undefined;
  /** Secure attribute; default true. Only a local http demo turns it off. */
  readonly secure: boolean;
  /** Absolute session lifetime in seconds (default 8 h). */
  readonly maxAgeSeconds: number;
  /** Idle timeout in seconds (default 1 h). */
  readonly idleTimeoutSeconds: number;
}

/** Request-size limits: anything larger is refused with a 4xx before it is buffered (issue #12). */
export interface LimitsConfig {
  /** Largest request header block, cookies included (node's maxHeaderSize); larger gets 431. Default 32 KiB. */
  readonly maxHeaderBytes: number;
  /** Largest request body on any endpoint; larger gets 413. Only the back-channel logout reads one. Default 16 KiB. */
  readonly maxBodyBytes: number;
}

/** Graceful shutdown on SIGTERM/SIGINT (issue #12). */
export interface ShutdownConfig {
  /** Seconds between turning /readyz to 503 and closing the listener, so endpoints can update. Default 5. */
  readonly drainDelaySeconds: number;
  /** Seconds after the listener closed that in-flight requests may take before the process exits anyway. Default 15. */
  readonly graceSeconds: number;
}

/** Bounds of every call to Keycloak: discovery, JWKS, token (code exchange, refresh, client credentials), introspection (issue #12). */
export interface IdpBoundsConfig {
  /** Whole answer, body included, within this many ms; then the call fails (503 on the request path). Default 5000. */
  readonly timeoutMs: number;
  /** Largest answer body in bytes; a larger one fails the call. Default 512 KiB. */
  readonly maxResponseBytes: number;
  /** Most entries a JWKS may have; more fails the fetch (cached keys stay in use). Default 100. */
  readonly maxJwksKeys: number;
}

/** Bounds of the Redis revocation store's connections (issue #12); a failure never turns into an allow. */
export interface RedisBoundsConfig {
  /** A connection attempt gives up after this many ms (and is retried). Default 3000. */
  readonly connectTimeoutMs: number;
  /** A command without a reply within this many ms fails (a revocation then answers 5xx). Default 2000. */
  readonly commandTimeoutMs: number;
}

/** The whole validated configuration. */
export interface Config {
  /** Keycloak realm issuer URL, e.g. https://keycloak.example.com/realms/acme. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Accepted `aud` values for bearer tokens. */
  readonly audiences: readonly string[];
  /** Accepted `azp` values for bearer tokens (Keycloak often sets aud=account). */
  readonly authorizedParties: readonly string[];
  /** Path of the policy YAML file. */
  readonly policyFile: string;
  readonly port: number;
  readonly host: string;
  /** CIDR list of peers whose forwarded headers are trusted. */
  readonly trustedProxies: readonly string[];
  readonly cookie: CookieConfig;
  /** Session secrets, each >= 32 bytes; the first seals, all open. */
  readonly sessionSecrets: readonly string[];
  /** Send `Authorization: Bearer <access token>` upstream for session requests. */
  readonly passAccessToken: boolean;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Redis URL for the shared revocation store; undefined = in-memory. */
  readonly redisUrl: string | undefined;
  /** JWS algorithms accepted for bearer tokens (never none or HS*). */
  readonly algorithms: readonly string[];
  /** Clock tolerance for exp/nbf, seconds (default 30). */
  readonly clockToleranceSeconds: number;
  readonly headers: HeaderNames;
  /** RFC 7662 introspection for opaque tokens (default false). */
  readonly introspection: boolean;
  /**
   * Client ids that may send `Authorization: Basic base64(client_id:client_secret)`, exchanged at Keycloak with the
   * client-credentials grant (long-running workers); empty (the default) = Basic credentials are ignored.
   */
  readonly basicClients: readonly string[];
  /** Separate port for /metrics; undefined = served on the main port. */
  readonly metricsPort: number | undefined;
  /**
   * Public base URL of keygate for auth-host mode (`/_keygate/start`, callback), e.g. https://auth.example.com.
   * When undefined, the callback is served on the protected host through the forward-auth subrequest.
   */
  readonly publicUrl: string | undefined;
  /** Development only: allow an http:// issuer (openid-client's allowInsecureRequests). Default false. */
  readonly allowInsecureIssuer: boolean;
  /** Hosts that count as protected for redirect-target checks, besides hosts inside cookie.domain. */
  readonly redirectHosts: readonly string[];
  readonly limits: LimitsConfig;
  readonly shutdown: ShutdownConfig;
  readonly idp: IdpBoundsConfig;
  readonly redis: RedisBoundsConfig;
  /** OpenTelemetry tracing, from the standard OTEL_* variables; absent = off (the default). */
  readonly tracing?: TracingConfig | undefined;
}

/** Tracing settings plus keygate's own opt-in: the subject id (`sub`) as the decision span's `enduser.id`. */
export interface TracingConfig extends TracingSettings {
  readonly subject: boolean;
}
