/** The table of configuration keys: YAML path, environment variable, and which variables may come from files. */

/** One configuration key: where it sits in the YAML file and, when it has one, its environment variable. */
export interface KeySpec {
  readonly path: readonly [string] | readonly [string, string];
  readonly env?: string;
}

/** Every configuration key, by the name validate uses, one topic a line. DESIGN.md §7 fixes the variable names. */
export const KEYS = {
  // Keycloak: the realm, keygate's client, and which tokens count.
  issuer: { path: ['issuer'], env: 'KEYGATE_ISSUER' }, allowInsecureIssuer: { path: ['allowInsecureIssuer'], env: 'KEYGATE_ALLOW_INSECURE_ISSUER' },
  clientId: { path: ['clientId'], env: 'KEYGATE_CLIENT_ID' }, clientSecret: { path: ['clientSecret'], env: 'KEYGATE_CLIENT_SECRET' },
  audiences: { path: ['audiences'], env: 'KEYGATE_AUDIENCES' }, authorizedParties: { path: ['authorizedParties'], env: 'KEYGATE_AUTHORIZED_PARTIES' }, algorithms: { path: ['algorithms'] }, clockTolerance: { path: ['clockToleranceSeconds'] },
  introspection: { path: ['introspection'], env: 'KEYGATE_INTROSPECTION' }, basicClients: { path: ['basicClients'], env: 'KEYGATE_BASIC_CLIENTS' },
  // Where keygate listens, whom it trusts, and its policy.
  policyFile: { path: ['policyFile'], env: 'KEYGATE_POLICY' },
  port: { path: ['port'], env: 'KEYGATE_PORT' }, host: { path: ['host'], env: 'KEYGATE_HOST' }, metricsPort: { path: ['metricsPort'], env: 'KEYGATE_METRICS_PORT' },
  trustedProxies: { path: ['trustedProxies'], env: 'KEYGATE_TRUSTED_PROXIES' }, logLevel: { path: ['logLevel'], env: 'KEYGATE_LOG_LEVEL' },
  // Browser sessions: secrets, where sign-in lives, where it may return to, the cookie and the shared revocation store.
  sessionSecrets: { path: ['sessionSecrets'], env: 'KEYGATE_SESSION_SECRETS' }, publicUrl: { path: ['publicUrl'], env: 'KEYGATE_PUBLIC_URL' }, redirectHosts: { path: ['redirectHosts'], env: 'KEYGATE_REDIRECT_HOSTS' },
  cookieName: { path: ['cookie', 'name'] }, cookieDomain: { path: ['cookie', 'domain'], env: 'KEYGATE_COOKIE_DOMAIN' }, cookieSecure: { path: ['cookie', 'secure'], env: 'KEYGATE_COOKIE_SECURE' },
  cookieMaxAge: { path: ['cookie', 'maxAgeSeconds'] }, cookieIdleTimeout: { path: ['cookie', 'idleTimeoutSeconds'] },
  redisUrl: { path: ['redisUrl'], env: 'KEYGATE_REDIS_URL' },
  // What the upstream gets on an allow.
  passAccessToken: { path: ['passAccessToken'], env: 'KEYGATE_PASS_ACCESS_TOKEN' },
  headerUser: { path: ['headers', 'user'] }, headerEmail: { path: ['headers', 'email'] }, headerSubject: { path: ['headers', 'subject'] },
  headerName: { path: ['headers', 'name'] }, headerRoles: { path: ['headers', 'roles'] }, headerGroups: { path: ['headers', 'groups'] },
  // Bounds: request sizes, graceful shutdown, calls to Keycloak and to Redis.
  maxHeaderBytes: { path: ['limits', 'maxHeaderBytes'], env: 'KEYGATE_MAX_HEADER_BYTES' }, maxBodyBytes: { path: ['limits', 'maxBodyBytes'], env: 'KEYGATE_MAX_BODY_BYTES' },
  drainDelay: { path: ['shutdown', 'drainDelaySeconds'], env: 'KEYGATE_SHUTDOWN_DRAIN_DELAY_SECONDS' }, shutdownGrace: { path: ['shutdown', 'graceSeconds'], env: 'KEYGATE_SHUTDOWN_GRACE_SECONDS' },
  idpTimeout: { path: ['idp', 'timeoutMs'], env: 'KEYGATE_IDP_TIMEOUT_MS' }, idpMaxResponseBytes: { path: ['idp', 'maxResponseBytes'], env: 'KEYGATE_IDP_MAX_RESPONSE_BYTES' }, idpMaxJwksKeys: { path: ['idp', 'maxJwksKeys'], env: 'KEYGATE_IDP_MAX_JWKS_KEYS' },
  redisConnectTimeout: { path: ['redis', 'connectTimeoutMs'], env: 'KEYGATE_REDIS_CONNECT_TIMEOUT_MS' }, redisCommandTimeout: { path: ['redis', 'commandTimeoutMs'], env: 'KEYGATE_REDIS_COMMAND_TIMEOUT_MS' },
  // Observability.
  traceSubject: { path: ['tracing', 'subject'], env: 'KEYGATE_TRACE_SUBJECT' },
} as const satisfies Record<string, KeySpec>;

/** Variables that may instead be read from a file named by `<VARIABLE>_FILE` (Kubernetes secrets). */
export const FILE_VARIABLES: readonly string[] = ['KEYGATE_CLIENT_SECRET', 'KEYGATE_SESSION_SECRETS', 'KEYGATE_REDIS_URL'];

/** The variable naming the config file; read by load, not by validate. */
export const CONFIG_VARIABLE = 'KEYGATE_CONFIG';

/** The YAML mappings that hold nested keys. */
export const SECTIONS: readonly string[] = ['cookie', 'headers', 'limits', 'shutdown', 'idp', 'redis', 'tracing'];

/** Allowed YAML keys, per section (`''` = top level). */
export function allowedKeys(section: string): string[] {
  const out = new Set<string>();
  for (const spec of Object.values(KEYS) as KeySpec[]) {
    const [first, second] = spec.path;
    if (section === '') out.add(first);
    else if (first === section && second !== undefined) out.add(second);
  }
  return [...out];
}

/** Every environment variable keygate reads, including `*_FILE` variants and KEYGATE_CONFIG. */
export function knownVariables(): string[] {
  const vars: string[] = [CONFIG_VARIABLE];
  for (const spec of Object.values(KEYS) as KeySpec[]) if (spec.env !== undefined) vars.push(spec.env);
  for (const v of FILE_VARIABLES) vars.push(`${v}_FILE`);
  return vars;
}
