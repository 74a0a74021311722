import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorsOf, run, SESSION_SECRET } from './support.js';

const TOKEN_CHARS = "letters, digits and !#$%&'*+-.^_`|~";
const AUD =
  'at least one of audiences ($KEYGATE_AUDIENCES) or authorizedParties ($KEYGATE_AUTHORIZED_PARTIES) must be non-empty: ' +
  'a bearer token is accepted only when its aud contains an audience or its azp is an authorized party. ' +
  'Keycloak access tokens usually carry aud=account (shared by every client) and azp=<the requesting client>, ' +
  "so list your callers' client IDs in authorizedParties, or add an audience mapper in Keycloak and list that audience";
const CIDR = 'must be an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8 or fd00::/8';
const ALGS = 'RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA';

interface Case {
  readonly name: string;
  readonly yaml?: string;
  /** Over BASE_ENV; undefined removes a variable so the file's value is used. */
  readonly env?: Record<string, string | undefined>;
  readonly want: readonly string[];
}

/** Runs each case and compares the formatted errors exactly; no case may yield a config. */
function table(cases: readonly Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const r = run({ ...(c.yaml === undefined ? {} : { yaml: c.yaml }), env: c.env ?? {} });
      assert.deepEqual(errorsOf(r), c.want);
      assert.equal(r.value, undefined);
    });
  }
}

const TYPES_AND_KEYS: readonly Case[] = [
  { name: 'boolean given as "yes"', yaml: 'cookie:\n  secure: "yes"', want: ['keygate.yaml:2:11: cookie.secure: must be a boolean, got "yes"'] },
  { name: 'bare yes is a string in YAML 1.2', yaml: 'cookie:\n  secure: yes', want: ['keygate.yaml:2:11: cookie.secure: must be a boolean, got "yes"'] },
  { name: 'boolean given as a string', yaml: 'introspection: "true"', want: ['keygate.yaml:1:16: introspection: must be a boolean, got "true"'] },
  { name: 'integer with junk', yaml: 'port: 80a', want: ['keygate.yaml:1:7: port: must be an integer 1-65535, got "80a"'] },
  { name: 'integer out of range', yaml: 'port: 70000', want: ['keygate.yaml:1:7: port: must be an integer 1-65535, got 70000'] },
  { name: 'integer with a fraction', yaml: 'port: 4181.5', want: ['keygate.yaml:1:7: port: must be an integer 1-65535, got 4181.5'] },
  { name: 'integer quoted', yaml: 'port: "4181"', want: ['keygate.yaml:1:7: port: must be an integer 1-65535, got "4181"'] },
  { name: 'string given as a number', yaml: 'clientId: 42', env: { KEYGATE_CLIENT_ID: undefined }, want: ['keygate.yaml:1:11: clientId: must be a string, got 42'] },
  { name: 'empty string', yaml: 'clientId: ""', env: { KEYGATE_CLIENT_ID: undefined }, want: ['keygate.yaml:1:11: clientId: must not be empty'] },
  { name: 'null is not "unset"', yaml: 'logLevel:', want: ['keygate.yaml:1:10: logLevel: must be one of debug, info, warn, error, got null'] },
  { name: 'unknown key with a suggestion', yaml: 'client_id: x', want: ['keygate.yaml:1:1: client_id: unknown key, did you mean "clientId"?'] },
  { name: 'unknown key, typo', yaml: 'policyFlie: p.yaml', want: ['keygate.yaml:1:1: policyFlie: unknown key, did you mean "policyFile"?'] },
  { name: 'unknown key without a suggestion', yaml: 'frobnicate: 1', want: ['keygate.yaml:1:1: frobnicate: unknown key'] },
  { name: 'nested key at the top level', yaml: 'secure: false', want: ['keygate.yaml:1:1: secure: unknown key, did you mean "cookie.secure"?'] },
  { name: 'flattened nested key', yaml: 'cookieDomain: example.com', want: ['keygate.yaml:1:1: cookieDomain: unknown key, did you mean "cookie.domain"?'] },
  { name: 'unknown nested key, transposed letters', yaml: 'cookie:\n  sceure: true', want: ['keygate.yaml:2:3: cookie.sceure: unknown key, did you mean "secure"?'] },
  { name: 'unknown nested key lists the allowed ones', yaml: 'cookie:\n  colour: blue', want: ['keygate.yaml:2:3: cookie.colour: unknown key (allowed: name, domain, secure, maxAgeSeconds, idleTimeoutSeconds)'] },
  { name: 'section not a mapping', yaml: 'cookie: true', want: ['keygate.yaml:1:9: cookie: must be a mapping, got true'] },
  { name: 'section given as a list', yaml: 'headers: [X-A]', want: ['keygate.yaml:1:10: headers: must be a mapping, got a list'] },
  { name: 'document is a list', yaml: '- a\n- b', want: ['keygate.yaml:1:1: the config file must be a mapping of keys, got a list'] },
  { name: 'list given as a string', yaml: 'audiences: api', want: ['keygate.yaml:1:12: audiences: must be a list of strings, got "api"'] },
  {
    name: 'list items of the wrong type or empty',
    yaml: 'audiences: [api, 7, ""]',
    want: ['keygate.yaml:1:18: audiences[1]: must be a string, got 7', 'keygate.yaml:1:21: audiences[2]: must not be empty'],
  },
];

describe('validateConfig errors: YAML types and keys', () => table(TYPES_AND_KEYS));

const YAML_VALUES: readonly Case[] = [
  {
    name: 'http issuer without allowInsecureIssuer',
    yaml: 'issuer: http://kc.example.com/realms/a',
    env: { KEYGATE_ISSUER: undefined },
    want: ['keygate.yaml:1:9: issuer: must use https, got "http://kc.example.com/realms/a" (allowInsecureIssuer: true or $KEYGATE_ALLOW_INSECURE_ISSUER=true permits http for local development only)'],
  },
  { name: 'issuer not a URL', yaml: 'issuer: keycloak', env: { KEYGATE_ISSUER: undefined }, want: ['keygate.yaml:1:9: issuer: must be an absolute https URL such as https://keycloak.example.com/realms/acme, got "keycloak"'] },
  { name: 'issuer with another scheme', yaml: 'issuer: ftp://kc.example.com/', env: { KEYGATE_ISSUER: undefined }, want: ['keygate.yaml:1:9: issuer: must be an absolute https URL such as https://keycloak.example.com/realms/acme, got "ftp://kc.example.com/"'] },
  { name: 'issuer with a query', yaml: 'issuer: https://kc.example.com/realms/a?x=1', env: { KEYGATE_ISSUER: undefined }, want: ['keygate.yaml:1:9: issuer: must not have a query or fragment, got "https://kc.example.com/realms/a?x=1"'] },
  { name: 'both audience lists empty', yaml: 'audiences: []', env: { KEYGATE_AUTHORIZED_PARTIES: undefined }, want: [`keygate.yaml:1:12: audiences: ${AUD}`] },
  { name: 'both audience lists missing', yaml: 'port: 4181', env: { KEYGATE_AUTHORIZED_PARTIES: undefined }, want: [`keygate.yaml:1:1: audiences: ${AUD}`] },
  { name: 'short session secret', yaml: `sessionSecrets: [short, "${SESSION_SECRET}"]`, env: { KEYGATE_SESSION_SECRETS: undefined }, want: ['keygate.yaml:1:18: sessionSecrets[0]: must be at least 32 bytes, got 5 bytes'] },
  { name: 'no session secret', yaml: 'sessionSecrets: []', env: { KEYGATE_SESSION_SECRETS: undefined }, want: ['keygate.yaml:1:17: sessionSecrets: must list at least one secret of at least 32 bytes'] },
  { name: 'algorithm none', yaml: 'algorithms: [none]', want: ['keygate.yaml:1:14: algorithms[0]: "none" is never accepted: it means an unsigned token, which anyone can forge'] },
  {
    name: 'algorithm HS256',
    yaml: 'algorithms: [RS256, HS256]',
    want: ['keygate.yaml:1:21: algorithms[1]: "HS256" is never accepted: HMAC keys are shared secrets, so anyone holding the key (e.g. the client secret) could mint tokens; use an asymmetric algorithm such as RS256'],
  },
  { name: 'algorithm in the wrong case', yaml: 'algorithms: [rs256]', want: [`keygate.yaml:1:14: algorithms[0]: must be one of ${ALGS}, got "rs256"; did you mean "RS256"?`] },
  { name: 'unknown algorithm', yaml: 'algorithms: [XY999]', want: [`keygate.yaml:1:14: algorithms[0]: must be one of ${ALGS}, got "XY999"`] },
  { name: 'no algorithm', yaml: 'algorithms: []', want: [`keygate.yaml:1:13: algorithms: must list at least one algorithm (${ALGS})`] },
  { name: 'clock tolerance too large', yaml: 'clockToleranceSeconds: 301', want: ['keygate.yaml:1:24: clockToleranceSeconds: must be an integer 0-300, got 301'] },
  { name: 'header name with a space', yaml: 'headers:\n  user: "X Auth"', want: [`keygate.yaml:2:9: headers.user: must be an HTTP header name (${TOKEN_CHARS}), got "X Auth"`] },
  { name: 'reserved header name', yaml: 'headers:\n  roles: Authorization', want: ['keygate.yaml:2:10: headers.roles: must not be "Authorization": that header already has a meaning for the proxy or keygate'] },
  {
    name: 'header names equal ignoring case',
    yaml: 'headers:\n  email: x-auth-user',
    want: ['keygate.yaml:2:10: headers.email: "x-auth-user" is also the name of headers.user; identity header names must be distinct (case-insensitive)'],
  },
  {
    name: 'header name taking a later default',
    yaml: 'headers:\n  user: X-Auth-Groups',
    want: ['keygate.yaml:2:9: headers.user: "X-Auth-Groups" is also the name of headers.groups; identity header names must be distinct (case-insensitive)'],
  },
  { name: 'cookie name not a token', yaml: 'cookie:\n  name: "kg;x"', want: [`keygate.yaml:2:9: cookie.name: must be a cookie name (${TOKEN_CHARS}), got "kg;x"`] },
  {
    name: '__Host- cookie with a domain',
    yaml: 'cookie:\n  name: __Host-kg\n  domain: example.com',
    want: ['keygate.yaml:2:9: cookie.name: starts with __Host-, which browsers accept only with cookie.secure true and no cookie.domain'],
  },
  { name: 'cookie domain given as a URL', yaml: 'cookie:\n  domain: "https://example.com"', want: ['keygate.yaml:2:11: cookie.domain: must be a domain name such as example.com or .example.com, got "https://example.com"'] },
  {
    name: 'idle timeout above max age',
    yaml: 'cookie:\n  maxAgeSeconds: 600\n  idleTimeoutSeconds: 900',
    want: ['keygate.yaml:3:23: cookie.idleTimeoutSeconds: must be at most cookie.maxAgeSeconds (600), got 900'],
  },
  { name: 'max age below the default idle timeout', yaml: 'cookie:\n  maxAgeSeconds: 600', want: ['keygate.yaml:2:18: cookie.maxAgeSeconds: must be at least cookie.idleTimeoutSeconds (default 3600), got 600'] },
  { name: 'max age too small', yaml: 'cookie:\n  maxAgeSeconds: 30', want: ['keygate.yaml:2:18: cookie.maxAgeSeconds: must be an integer 60-34560000, got 30'] },
  { name: 'unknown log level', yaml: 'logLevel: verbose', want: ['keygate.yaml:1:11: logLevel: must be one of debug, info, warn, error, got "verbose"'] },
  { name: 'redis URL with another scheme', yaml: 'redisUrl: http://redis:6379', want: ['keygate.yaml:1:11: redisUrl: must be a redis:// or rediss:// URL, got scheme "http:"'] },
  {
    name: 'redis URL not a URL',
    yaml: 'redisUrl: not a url',
    want: ['keygate.yaml:1:11: redisUrl: must be a redis:// or rediss:// URL, and this is not a valid URL (value not shown: it may contain a password)'],
  },
  { name: 'public URL without scheme', yaml: 'publicUrl: auth.example.com', want: ['keygate.yaml:1:12: publicUrl: must be an absolute http(s) URL such as https://auth.example.com, got "auth.example.com"'] },
  { name: 'metrics port equal to port', yaml: 'metricsPort: 4181', want: ['keygate.yaml:1:14: metricsPort: must differ from port (4181); leave it unset to serve /metrics on the main port'] },
  { name: 'no trusted proxy', yaml: 'trustedProxies: []', want: ['keygate.yaml:1:17: trustedProxies: must list at least one CIDR; without a trusted proxy every /auth request is refused (default 127.0.0.1/32, ::1/128)'] },
  { name: 'trusted proxy prefix too long', yaml: 'trustedProxies: [10.0.0.0/33]', want: [`keygate.yaml:1:18: trustedProxies[0]: ${CIDR}, got "10.0.0.0/33": the prefix length must be 0-32 for IPv4, got 33`] },
  {
    name: 'redirect host with scheme or port',
    yaml: 'redirectHosts: ["https://a.example.com", "a.example.com:8443", "*.ok.example.com"]',
    want: [
      'keygate.yaml:1:17: redirectHosts[0]: must be a host name such as app.example.com or *.example.com (no scheme, port or path), got "https://a.example.com"',
      'keygate.yaml:1:42: redirectHosts[1]: must be a host name such as app.example.com or *.example.com (no scheme, port or path), got "a.example.com:8443"',
    ],
  },
  {
    name: 'good and bad items of an invalid list are all checked',
    yaml: 'trustedProxies: [7, nope, 10.0.0.0/8]',
    want: ['keygate.yaml:1:18: trustedProxies[0]: must be a string, got 7', `keygate.yaml:1:21: trustedProxies[1]: ${CIDR}, got "nope": not an IPv4 address (four decimal octets 0-255, no leading zeros)`],
  },
  { name: 'an invalid audience list is not also reported as empty', yaml: 'audiences: [7]', env: { KEYGATE_AUTHORIZED_PARTIES: undefined }, want: ['keygate.yaml:1:13: audiences[0]: must be a string, got 7'] },
  { name: 'listen host with a port', yaml: 'host: "0.0.0.0:80"', want: ['keygate.yaml:1:7: host: must be an IP address or host name to listen on, such as 0.0.0.0 or ::, got "0.0.0.0:80"'] },
];

describe('validateConfig errors: YAML values', () => table(YAML_VALUES));

const ENVIRONMENT: readonly Case[] = [
  { name: 'port with junk', env: { KEYGATE_PORT: '80a' }, want: ['$KEYGATE_PORT: must be an integer 1-65535, got "80a"'] },
  { name: 'port zero', env: { KEYGATE_PORT: '0' }, want: ['$KEYGATE_PORT: must be an integer 1-65535, got "0"'] },
  { name: 'port in hex', env: { KEYGATE_PORT: '0x50' }, want: ['$KEYGATE_PORT: must be an integer 1-65535, got "0x50"'] },
  { name: 'metrics port equal to the port', env: { KEYGATE_PORT: '9000', KEYGATE_METRICS_PORT: '9000' }, want: ['$KEYGATE_METRICS_PORT: must differ from port (9000); leave it unset to serve /metrics on the main port'] },
  { name: 'boolean yes', env: { KEYGATE_COOKIE_SECURE: 'yes' }, want: ['$KEYGATE_COOKIE_SECURE: must be a boolean (true, false, 1 or 0), got "yes"'] },
  { name: 'bad CIDR item', env: { KEYGATE_TRUSTED_PROXIES: '10.0.0.0/8, nope' }, want: [`$KEYGATE_TRUSTED_PROXIES: item 2: ${CIDR}, got "nope": not an IPv4 address (four decimal octets 0-255, no leading zeros)`] },
  { name: 'only commas for proxies', env: { KEYGATE_TRUSTED_PROXIES: ',' }, want: ['$KEYGATE_TRUSTED_PROXIES: must list at least one CIDR; without a trusted proxy every /auth request is refused (default 127.0.0.1/32, ::1/128)'] },
  { name: 'short session secret item', env: { KEYGATE_SESSION_SECRETS: `${SESSION_SECRET},short` }, want: ['$KEYGATE_SESSION_SECRETS: item 2: must be at least 32 bytes, got 5 bytes'] },
  { name: 'multi-byte secret counted in bytes', env: { KEYGATE_SESSION_SECRETS: 'é'.repeat(15) }, want: ['$KEYGATE_SESSION_SECRETS: item 1: must be at least 32 bytes, got 30 bytes'] },
  { name: 'only commas for secrets', env: { KEYGATE_SESSION_SECRETS: ',' }, want: ['$KEYGATE_SESSION_SECRETS: must list at least one secret of at least 32 bytes'] },
  { name: 'unknown log level', env: { KEYGATE_LOG_LEVEL: 'verbose' }, want: ['$KEYGATE_LOG_LEVEL: must be one of debug, info, warn, error, got "verbose"'] },
  {
    name: 'http issuer',
    env: { KEYGATE_ISSUER: 'http://kc.example.com/realms/a' },
    want: ['$KEYGATE_ISSUER: must use https, got "http://kc.example.com/realms/a" (allowInsecureIssuer: true or $KEYGATE_ALLOW_INSECURE_ISSUER=true permits http for local development only)'],
  },
  { name: 'redis URL with another scheme', env: { KEYGATE_REDIS_URL: 'http://user:pw@redis:6379' }, want: ['$KEYGATE_REDIS_URL: must be a redis:// or rediss:// URL, got scheme "http:"'] },
  { name: 'audience list of only commas', env: { KEYGATE_AUDIENCES: ',', KEYGATE_AUTHORIZED_PARTIES: undefined }, want: [`$KEYGATE_AUDIENCES: ${AUD}`] },
  { name: 'no audience list at all', env: { KEYGATE_AUTHORIZED_PARTIES: undefined }, want: [`$KEYGATE_AUDIENCES: ${AUD}`] },
  { name: 'missing issuer', env: { KEYGATE_ISSUER: undefined }, want: ['$KEYGATE_ISSUER: is required: set $KEYGATE_ISSUER (or issuer in the config file)'] },
  { name: 'cookie domain with a port', env: { KEYGATE_COOKIE_DOMAIN: 'example.com:443' }, want: ['$KEYGATE_COOKIE_DOMAIN: must be a domain name such as example.com or .example.com, got "example.com:443"'] },
];

describe('validateConfig errors: environment', () => table(ENVIRONMENT));

describe('validateConfig errors: everything at once', () => {
  it('reports every missing required setting, at the variables when there is no file', () => {
    const r = run({ bare: true });
    assert.deepEqual(errorsOf(r), [
      '$KEYGATE_ISSUER: is required: set $KEYGATE_ISSUER (or issuer in the config file)',
      '$KEYGATE_CLIENT_ID: is required: set $KEYGATE_CLIENT_ID (or clientId in the config file)',
      '$KEYGATE_CLIENT_SECRET: is required: set $KEYGATE_CLIENT_SECRET (or clientSecret in the config file)',
      `$KEYGATE_AUDIENCES: ${AUD}`,
      '$KEYGATE_SESSION_SECRETS: is required: set $KEYGATE_SESSION_SECRETS (or sessionSecrets in the config file)',
      '$KEYGATE_POLICY: is required: set $KEYGATE_POLICY (or policyFile in the config file)',
    ]);
  });

  it('reports missing required settings at the top of the file when there is one', () => {
    const r = run({ bare: true, yaml: '# keygate\nclientId: keygate\n' });
    assert.deepEqual(errorsOf(r), [
      'keygate.yaml:1:1: issuer: is required: set issuer in this file or $KEYGATE_ISSUER',
      'keygate.yaml:1:1: clientSecret: is required: set clientSecret in this file or $KEYGATE_CLIENT_SECRET',
      `keygate.yaml:1:1: audiences: ${AUD}`,
      'keygate.yaml:1:1: sessionSecrets: is required: set sessionSecrets in this file or $KEYGATE_SESSION_SECRETS',
      'keygate.yaml:1:1: policyFile: is required: set policyFile in this file or $KEYGATE_POLICY',
    ]);
  });

  it('reports file problems in reading order, then environment problems', () => {
    const yaml = ['logLevel: loud', 'port: 0', 'cookie:', '  secure: maybe', '  nmae: x', 'algorithms: [none]'].join('\n');
    const r = run({ yaml, env: { KEYGATE_HOST: 'a b', KEYGATE_INTROSPECTION: 'perhaps' } });
    assert.deepEqual(errorsOf(r), [
      'keygate.yaml:1:11: logLevel: must be one of debug, info, warn, error, got "loud"',
      'keygate.yaml:2:7: port: must be an integer 1-65535, got 0',
      'keygate.yaml:4:11: cookie.secure: must be a boolean, got "maybe"',
      'keygate.yaml:5:3: cookie.nmae: unknown key, did you mean "name"?',
      'keygate.yaml:6:14: algorithms[0]: "none" is never accepted: it means an unsigned token, which anyone can forge',
      '$KEYGATE_INTROSPECTION: must be a boolean (true, false, 1 or 0), got "perhaps"',
      '$KEYGATE_HOST: must be an IP address or host name to listen on, such as 0.0.0.0 or ::, got "a b"',
    ]);
  });

  it('reports YAML syntax errors alone, with their position', () => {
    const r = run({ yaml: 'port: 1\nport: 2\n' });
    assert.equal(r.value, undefined);
    assert.equal(r.errors.length, 1);
    assert.match(errorsOf(r)[0] ?? '', /^keygate\.yaml:2:1: YAML syntax: Map keys must be unique/);
  });
});
