/** The connection to Keycloak: discovery (openid-client), the JWKS cache, introspection, and readiness. */
import * as oidc from 'openid-client';
import type { Config } from '../config/types.js';
import type { Logger } from '../util/log.js';
import type { Metrics } from '../metrics/metrics.js';
import { boundedFetch } from '../util/bounded-fetch.js';
import { AuthError } from '../errors.js';
import { describeIdpError } from './idp-errors.js';
import { JwksCache } from './jwks.js';
import { SignatureWorkers } from './signature-workers.js';
import { TokenVerifier, type Introspect } from './verify-token.js';

/** Code-level options (test hooks), never YAML keys. */
export interface KeycloakOptions {
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Background JWKS refresh period (ms); default 5 minutes. */
  readonly jwksRefreshMs?: number;
  /** Retry period while discovery has not succeeded (ms); default 5 s. */
  readonly discoveryRetryMs?: number;
  /** Minimum time between two JWKS refetches triggered by unknown kids (ms); default 10 s. */
  readonly jwksCooldownMs?: number;
  /** Longest a token with an unknown kid waits for the next allowed JWKS refetch before 503 (ms); default 5 s. */
  readonly jwksMaxWaitMs?: number;
  /** Consulted for bearer tokens that carry a `sid`. */
  readonly isRevoked?: (sid: string) => boolean;
}

/** Keycloak as keygate sees it: discovery is retried in the background until it succeeds, so the service starts even while Keycloak is down. */
export class Keycloak {
  /** Verifies bearer tokens against `audiences` / `authorizedParties`. */
  readonly verifier: TokenVerifier;
  /** Verifies access tokens that keygate itself obtained for sessions: `azp` must be keygate's own client. */
  readonly sessionVerifier: TokenVerifier;
  readonly #config: Config;
  readonly #opts: KeycloakOptions;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  /** Every call to Keycloak but the JWKS (bounded by JwksCache itself) goes through this: idp.timeoutMs and idp.maxResponseBytes. */
  readonly #fetch: typeof fetch;
  #oidc: oidc.Configuration | undefined;
  #jwks: JwksCache | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Signature checks of both verifiers, on worker threads (started at the first token). */
  readonly #signatures = new SignatureWorkers();

  constructor(config: Config, log: Logger, metrics: Metrics, opts: KeycloakOptions = {}) {
    this.#config = config;
    this.#opts = opts;
    this.#log = log;
    this.#metrics = metrics;
    this.#fetch = boundedFetch(opts.fetch ?? fetch, { timeoutMs: config.idp.timeoutMs, maxBytes: config.idp.maxResponseBytes });
    const now = opts.now ?? Date.now;
    const introspect: Introspect | undefined = config.introspection ? (token) => this.#introspect(token) : undefined;
    this.verifier = new TokenVerifier({
      checks: { issuer: config.issuer, algorithms: config.algorithms, audiences: config.audiences, authorizedParties: config.authorizedParties, clockToleranceSeconds: config.clockToleranceSeconds },
      jwks: () => this.#jwks,
      introspect,
      now,
      ...(opts.isRevoked ? { isRevoked: opts.isRevoked } : {}),
      signatures: this.#signatures,
      onResult: (result, via) => metrics.tokenVerified(via, result),
    });
    this.sessionVerifier = new TokenVerifier({
      checks: { issuer: config.issuer, algorithms: config.algorithms, audiences: [], authorizedParties: [config.clientId], clockToleranceSeconds: config.clockToleranceSeconds },
      jwks: () => this.#jwks,
      now,
      cacheSize: 1000,
      signatures: this.#signatures,
      onResult: (result) => metrics.tokenVerified('session', result),
    });
  }

  /** The JWKS cache once discovery succeeded (back-channel logout tokens are verified with it). */
  get jwks(): JwksCache | undefined {
    return this.#jwks;
  }

  /** The bounded fetch every other call to Keycloak uses (the Basic credentials exchange). */
  get fetch(): typeof fetch {
    return this.#fetch;
  }

  /** openid-client configuration once discovery succeeded (login flow needs it). */
  get oidc(): oidc.Configuration | undefined {
    return this.#oidc;
  }

  /** Discovery done and a JWKS loaded. */
  get ready(): boolean {
    return this.#oidc !== undefined && this.#jwks?.loaded === true;
  }

  /** Tries discovery and the JWKS once now; keeps retrying in the background. Never rejects. */
  async start(): Promise<boolean> {
    const ok = await this.#tick();
    this.#schedule(ok);
    return ok;
  }

  /** Stops background work. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    void this.#signatures.close();
  }

  #schedule(ok: boolean): void {
    if (this.#closed) return;
    const ms = ok ? (this.#opts.jwksRefreshMs ?? 300_000) : (this.#opts.discoveryRetryMs ?? 5000);
    this.#timer = setTimeout(() => {
      void this.#tick().then((r) => this.#schedule(r));
    }, ms);
    this.#timer.unref();
  }

  async #tick(): Promise<boolean> {
    if (this.#oidc === undefined && !(await this.#discover())) return false;
    return (await this.#jwks?.refresh()) === true;
  }

  async #discover(): Promise<boolean> {
    const c = this.#config;
    const execute = c.allowInsecureIssuer ? [oidc.allowInsecureRequests] : [];
    const url = `${c.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    try {
      // customFetch bounds every later call made through this configuration too (token, refresh, introspection).
      // openid-client's own timeout (seconds) is a backstop 1 s later, so the bounded fetch's error names the bound.
      const conf = await oidc.discovery(new URL(c.issuer), c.clientId, undefined, oidc.ClientSecretPost(c.clientSecret), {
        execute,
        timeout: (c.idp.timeoutMs + 1000) / 1000,
        [oidc.customFetch]: this.#fetch as oidc.CustomFetch,
      });
      const jwksUri = conf.serverMetadata().jwks_uri;
      if (jwksUri === undefined) throw new Error('discovery document has no jwks_uri');
      this.#oidc = conf;
      this.#jwks = new JwksCache({
        jwksUri,
        algorithms: c.algorithms,
        fetch: this.#opts.fetch ?? fetch,
        now: this.#opts.now ?? Date.now,
        timeoutMs: c.idp.timeoutMs,
        maxBytes: c.idp.maxResponseBytes,
        maxKeys: c.idp.maxJwksKeys,
        ...(this.#opts.jwksCooldownMs !== undefined ? { cooldownMs: this.#opts.jwksCooldownMs } : {}),
        ...(this.#opts.jwksMaxWaitMs !== undefined ? { maxWaitMs: this.#opts.jwksMaxWaitMs } : {}),
        onFetch: (ok, detail) => this.#onJwks(ok, detail),
      });
      this.#log.info('issuer discovered', { issuer: c.issuer, jwks_uri: jwksUri });
      return true;
    } catch (err) {
      this.#metrics.idpUp.set(0);
      this.#log.warn('issuer discovery failed; retrying', { issuer: c.issuer, error: describeIdpError(err, 'discovery', url) });
      return false;
    }
  }

  #onJwks(ok: boolean, detail: string | undefined): void {
    this.#metrics.jwksRefreshes.labels(ok ? 'success' : 'failure').inc();
    this.#metrics.idpUp.set(ok ? 1 : 0);
    if (!ok) this.#log.warn('JWKS fetch failed; cached keys stay in use', { error: detail });
  }

  async #introspect(token: string): Promise<Readonly<Record<string, unknown>>> {
    const conf = this.#oidc;
    if (conf === undefined) throw new AuthError('ERR_IDP_UNAVAILABLE', { detail: 'introspection: issuer discovery has not completed' });
    try {
      return await oidc.tokenIntrospection(conf, token) as Readonly<Record<string, unknown>>;
    } catch (cause) {
      // Any failure here is keygate's or Keycloak's, never the caller's: 503, whatever Keycloak answered.
      const detail = describeIdpError(cause, 'introspection', conf.serverMetadata().introspection_endpoint);
      throw new AuthError('ERR_IDP_UNAVAILABLE', { detail, cause });
    }
  }
}
