import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Config } from '../../src/config/types.js';
import { BASE_ENV, CLIENT_SECRET, errorsOf, run, SESSION_SECRET, valueOf, warningsOf } from './support.js';

const DEFAULTS: Config = {
  issuer: 'https://keycloak.example.com/realms/acme',
  clientId: 'keygate',
  clientSecret: CLIENT_SECRET,
  audiences: [],
  authorizedParties: ['keygate'],
  sessionSecrets: [SESSION_SECRET],
  policyFile: '/etc/keygate/policy.yaml',
  port: 4181,
  host: '0.0.0.0',
  trustedProxies: ['127.0.0.1/32', '::1/128'],
  cookie: { name: 'keygate', domain: undefined, secure: true, maxAgeSeconds: 28800, idleTimeoutSeconds: 3600 },
  passAccessToken: false,
  logLevel: 'info',
  redisUrl: undefined,
  algorithms: ['RS256', 'PS256', 'ES256'],
  clockToleranceSeconds: 30,
  headers: { user: 'X-Auth-User', email: 'X-Auth-Email', subject: 'X-Auth-Subject', name: 'X-Auth-Name', roles: 'X-Auth-Roles', groups: 'X-Auth-Groups' },
  introspection: false,
  basicClients: [],
  metricsPort: undefined,
  publicUrl: undefined,
  allowInsecureIssuer: false,
  redirectHosts: [],
  limits: { maxHeaderBytes: 32768, maxBodyBytes: 16384 },
  shutdown: { drainDelaySeconds: 5, graceSeconds: 15 },
  idp: { timeoutMs: 5000, maxResponseBytes: 524288, maxJwksKeys: 100 },
  redis: { connectTimeoutMs: 3000, commandTimeoutMs: 2000 },
};

describe('validateConfig: defaults', () => {
  it('fills every default from the required environment alone', () => {
    const r = run({});
    assert.deepEqual(r, { value: DEFAULTS, errors: [], warnings: [] });
  });

  it('gives the same result from the same settings in YAML', () => {
    const yaml = [
      'issuer: https://keycloak.example.com/realms/acme',
      'clientId: keygate',
      `clientSecret: ${CLIENT_SECRET}`,
      'authorizedParties: [keygate]',
      `sessionSecrets: ["${SESSION_SECRET}"]`,
      'policyFile: /etc/keygate/policy.yaml',
    ].join('\n');
    assert.deepEqual(run({ yaml, bare: true }), { value: DEFAULTS, errors: [], warnings: [] });
  });

  it('treats an empty config file as no settings', () => {
    assert.deepEqual(valueOf(run({ yaml: '# nothing yet\n' })), DEFAULTS);
  });

  it('treats an empty variable as unset', () => {
    assert.deepEqual(valueOf(run({ env: { KEYGATE_PORT: '', KEYGATE_REDIS_URL: '  ', KEYGATE_COOKIE_DOMAIN: '' } })), DEFAULTS);
  });
});

describe('validateConfig: environment wins over the file', () => {
  const table: { name: string; yaml: string; env: Record<string, string>; want: Partial<Config> }[] = [
    { name: 'issuer', yaml: 'issuer: https://a.example.com/realms/x', env: { KEYGATE_ISSUER: 'https://b.example.com/realms/y' }, want: { issuer: 'https://b.example.com/realms/y' } },
    { name: 'clientId', yaml: 'clientId: from-file', env: { KEYGATE_CLIENT_ID: 'from-env' }, want: { clientId: 'from-env' } },
    { name: 'audiences (comma list, spaces and empty items dropped)', yaml: 'audiences: [a]', env: { KEYGATE_AUDIENCES: ' b, c,,' }, want: { audiences: ['b', 'c'] } },
    { name: 'authorizedParties', yaml: 'authorizedParties: [a]', env: { KEYGATE_AUTHORIZED_PARTIES: 'x,y' }, want: { authorizedParties: ['x', 'y'] } },
    { name: 'policyFile (env path used as given)', yaml: 'policyFile: p.yaml', env: { KEYGATE_POLICY: 'env/policy.yaml' }, want: { policyFile: 'env/policy.yaml' } },
    { name: 'port', yaml: 'port: 1000', env: { KEYGATE_PORT: '2000' }, want: { port: 2000 } },
    { name: 'host', yaml: 'host: 127.0.0.1', env: { KEYGATE_HOST: '::' }, want: { host: '::' } },
    { name: 'trustedProxies (canonical)', yaml: 'trustedProxies: [10.0.0.0/8]', env: { KEYGATE_TRUSTED_PROXIES: '192.168.0.0/16, FD00::/8,10.1.1.1' }, want: { trustedProxies: ['192.168.0.0/16', 'fd00::/8', '10.1.1.1/32'] } },
    { name: 'passAccessToken (1)', yaml: 'passAccessToken: false', env: { KEYGATE_PASS_ACCESS_TOKEN: '1' }, want: { passAccessToken: true } },
    { name: 'logLevel', yaml: 'logLevel: error', env: { KEYGATE_LOG_LEVEL: 'debug' }, want: { logLevel: 'debug' } },
    { name: 'redisUrl', yaml: 'redisUrl: redis://a:6379', env: { KEYGATE_REDIS_URL: 'rediss://b:6380/1' }, want: { redisUrl: 'rediss://b:6380/1' } },
    { name: 'introspection (TRUE)', yaml: 'introspection: false', env: { KEYGATE_INTROSPECTION: 'TRUE' }, want: { introspection: true } },
    { name: 'metricsPort', yaml: 'metricsPort: 9000', env: { KEYGATE_METRICS_PORT: '9100' }, want: { metricsPort: 9100 } },
    { name: 'publicUrl (trailing slash dropped)', yaml: 'publicUrl: https://a.example.com', env: { KEYGATE_PUBLIC_URL: 'https://auth.example.com/' }, want: { publicUrl: 'https://auth.example.com' } },
    { name: 'redirectHosts (lowercased)', yaml: 'redirectHosts: [a.example.com]', env: { KEYGATE_REDIRECT_HOSTS: 'B.example.com,*.apps.example.com' }, want: { redirectHosts: ['b.example.com', '*.apps.example.com'] } },
    { name: 'an invalid file value is not reported when the environment overrides it', yaml: 'port: not-a-port', env: { KEYGATE_PORT: '8080' }, want: { port: 8080 } },
  ];
  for (const c of table) {
    it(c.name, () => {
      const got = valueOf(run({ yaml: c.yaml, env: c.env }));
      assert.deepEqual(got, { ...DEFAULTS, ...c.want });
    });
  }

  it('cookie.domain and cookie.secure (0)', () => {
    const got = valueOf(run({ yaml: 'cookie:\n  domain: a.example.com\n  secure: true', env: { KEYGATE_COOKIE_DOMAIN: 'Example.COM', KEYGATE_COOKIE_SECURE: '0' } }));
    assert.deepEqual(got.cookie, { ...DEFAULTS.cookie, domain: 'example.com', secure: false });
  });

  it('allowInsecureIssuer from the environment permits an http issuer, with a warning', () => {
    const r = run({ yaml: 'issuer: http://localhost:8080/realms/demo', env: { KEYGATE_ISSUER: undefined, KEYGATE_ALLOW_INSECURE_ISSUER: 'true' } });
    assert.equal(valueOf(r).issuer, 'http://localhost:8080/realms/demo');
    assert.deepEqual(warningsOf(r), ['$KEYGATE_ALLOW_INSECURE_ISSUER: is true: an http issuer is allowed; use this for local development only']);
  });
});

describe('validateConfig: file values', () => {
  it('reads every file-only key', () => {
    const yaml = [
      'cookie:',
      '  name: __Host-kg',
      '  maxAgeSeconds: 7200',
      '  idleTimeoutSeconds: 7200',
      'algorithms: [ES384, EdDSA]',
      'clockToleranceSeconds: 0',
      'headers:',
      '  user: X-User',
      '  email: X-Email',
      '  subject: X-Sub',
      '  name: X-Name',
      '  roles: X-Roles',
      '  groups: X-Groups',
    ].join('\n');
    const got = valueOf(run({ yaml }));
    assert.deepEqual(got.cookie, { name: '__Host-kg', domain: undefined, secure: true, maxAgeSeconds: 7200, idleTimeoutSeconds: 7200 });
    assert.deepEqual(got.algorithms, ['ES384', 'EdDSA']);
    assert.equal(got.clockToleranceSeconds, 0);
    assert.deepEqual(got.headers, { user: 'X-User', email: 'X-Email', subject: 'X-Sub', name: 'X-Name', roles: 'X-Roles', groups: 'X-Groups' });
  });

  const paths: { name: string; file: string; policyFile: string; want: string }[] = [
    { name: 'relative to the config file directory', file: 'conf/keygate.yaml', policyFile: 'policy.yaml', want: 'conf/policy.yaml' },
    { name: 'relative with ..', file: '/etc/keygate/conf/keygate.yaml', policyFile: '../policies/p.yaml', want: '/etc/keygate/policies/p.yaml' },
    { name: 'config file in the working directory', file: 'keygate.yaml', policyFile: './policy.yaml', want: 'policy.yaml' },
    { name: 'absolute path kept', file: 'conf/keygate.yaml', policyFile: '/srv/policy.yaml', want: '/srv/policy.yaml' },
  ];
  for (const c of paths) {
    it(`policyFile ${c.name}`, () => {
      const got = valueOf(run({ yaml: `policyFile: ${c.policyFile}`, file: c.file, env: { KEYGATE_POLICY: undefined } }));
      assert.equal(got.policyFile, c.want);
    });
  }

  it('keeps the issuer verbatim and warns about a trailing slash', () => {
    const r = run({ yaml: 'issuer: https://keycloak.example.com/realms/acme/', env: { KEYGATE_ISSUER: undefined } });
    assert.equal(valueOf(r).issuer, 'https://keycloak.example.com/realms/acme/');
    assert.deepEqual(warningsOf(r), ['keygate.yaml:1:9: issuer: ends with "/": Keycloak issuers have none, and iss must match exactly, so tokens would be refused']);
  });
});

describe('validateConfig: warnings', () => {
  const table: { name: string; yaml?: string; env?: Record<string, string>; want: string[] }[] = [
    { name: 'aud=account', yaml: 'audiences: [api, account]', want: ['keygate.yaml:1:18: audiences[1]: "account" is the audience Keycloak puts in every access token of the realm; accepting it accepts tokens issued to any client'] },
    { name: 'host bits set', env: { KEYGATE_TRUSTED_PROXIES: '10.0.0.1/8' }, want: ['$KEYGATE_TRUSTED_PROXIES: item 1: "10.0.0.1/8" has host bits set; it means 10.0.0.0/8'] },
    { name: 'trust everyone', yaml: 'trustedProxies: [0.0.0.0/0]', want: ['keygate.yaml:1:18: trustedProxies[0]: 0.0.0.0/0 trusts forwarded headers from every IPv4 peer, so any client can forge its target'] },
    { name: 'cookie not secure', yaml: 'cookie:\n  secure: false', want: ['keygate.yaml:2:11: cookie.secure: is false: the session cookie is also sent over plain http; use this for local development only'] },
    { name: 'duplicate algorithm', yaml: 'algorithms: [RS256, RS256]', want: ['keygate.yaml:1:21: algorithms[1]: RS256 is listed twice'] },
    { name: 'misspelt variable', env: { KEYGATE_AUDIENCE: 'x' }, want: ['$KEYGATE_AUDIENCE: is not a keygate variable, did you mean $KEYGATE_AUDIENCES?'] },
    { name: 'unsupported *_FILE', env: { KEYGATE_ISSUER_FILE: '/x' }, want: ['$KEYGATE_ISSUER_FILE: is not read: only $KEYGATE_CLIENT_SECRET_FILE, $KEYGATE_SESSION_SECRETS_FILE, $KEYGATE_REDIS_URL_FILE are read from files'] },
    { name: 'unrelated KEYGATE_ variables are left alone', env: { KEYGATE_DEV_SEED: '1', KEYGATE_CONFIG: 'x.yaml' }, want: [] },
  ];
  for (const c of table) {
    it(c.name, () => {
      const r = run({ ...(c.yaml === undefined ? {} : { yaml: c.yaml }), env: c.env ?? {} });
      assert.deepEqual(errorsOf(r), []);
      assert.deepEqual(warningsOf(r), c.want);
    });
  }

  it('dedupes canonical trusted proxies', () => {
    assert.deepEqual(valueOf(run({ env: { KEYGATE_TRUSTED_PROXIES: '10.0.0.0/8,10.0.0.0/8' } })).trustedProxies, ['10.0.0.0/8']);
  });

  it('BASE_ENV is valid on its own', () => {
    assert.deepEqual(errorsOf(run({ env: BASE_ENV })), []);
  });
});
