/**
 * Issue #12 point 5: IdP trouble says what is wrong. Each failed call to Keycloak is logged (or carried as the
 * AuthError's detail) with the call, the URL, the cause (ECONNREFUSED, DNS, TLS, timeout), the HTTP status, and for
 * an issuer mismatch both issuers; never just "fetch failed", "unexpected HTTP response status code" or "issuer does
 * not match". Each case runs the real call (keygate's Keycloak discovery, openid-client's refresh grant) against a
 * real socket.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { Keycloak } from '../../src/identity/keycloak.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { translateGrantError } from '../../src/session/login.js';
import { boundedFetch } from '../../src/util/bounded-fetch.js';
import { createLogger } from '../../src/util/log.js';
import { configFrom, testEnv } from '../support/keygate.js';
import { startMisbehavingServer, type Misbehaviour, type MisbehavingServer } from '../support/misbehaving-idp.js';
import { freePort } from '../support/proc.js';

const servers: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function misbehaving(b: Misbehaviour): Promise<MisbehavingServer> {
  const s = await startMisbehavingServer(b);
  servers.push(s);
  return s;
}

/** The `error` field of the log line keygate writes when discovery of `issuer` fails. */
async function discoveryError(issuer: string, env: Record<string, string> = {}): Promise<string> {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (chunk) => lines.push(...chunk.split('\n').filter((l) => l !== '')) });
  const config = configFrom(testEnv(issuer, '/nonexistent/policy.yaml', 4181, { KEYGATE_IDP_TIMEOUT_MS: '500', ...env }));
  const kc = new Keycloak(config, log, createMetrics({ defaultMetrics: false }), { discoveryRetryMs: 60_000 });
  try {
    assert.equal(await kc.start(), false);
  } finally {
    kc.close();
  }
  log.flush();
  const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'issuer discovery failed; retrying');
  assert.ok(line !== undefined, `no discovery failure logged: ${lines.join('\n')}`);
  return String(line['error']);
}

/** A discovery document for `base` whose token endpoint is `token`. */
const doc = (issuer: string, token: string): Record<string, unknown> => ({
  issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: token, jwks_uri: `${issuer}/certs`, response_types_supported: ['code'],
});

describe('discovery failures name the URL and the cause', () => {
  const wellKnown = (issuer: string): string => `discovery ${issuer}/.well-known/openid-configuration: `;
  const cases: ReadonlyArray<{ name: string; issuer: () => Promise<string>; want: (issuer: string) => string | RegExp }> = [
    {
      name: 'connection refused',
      issuer: async () => `http://127.0.0.1:${await freePort()}/realms/demo`,
      want: (i) => `${wellKnown(i)}connection refused (ECONNREFUSED)`,
    },
    {
      name: 'DNS lookup failure',
      issuer: async () => 'http://keygate-no-such-host.invalid/realms/demo',
      want: (i) => new RegExp(`^${esc(wellKnown(i))}DNS lookup of keygate-no-such-host\\.invalid failed \\((ENOTFOUND|EAI_AGAIN)\\)$`),
    },
    {
      name: 'TLS error (https to a plain-http port)',
      issuer: async () => `https://127.0.0.1:${await plainHttpPort()}/realms/demo`,
      want: (i) => new RegExp(`^${esc(wellKnown(i))}TLS error \\(ERR_SSL_WRONG_VERSION_NUMBER: .*wrong version number`),
    },
    {
      name: 'timeout',
      issuer: async () => `${(await misbehaving({ kind: 'hang' })).url}/realms/demo`,
      want: (i) => `${wellKnown(i)}timeout: no complete answer within 500 ms`,
    },
    {
      name: 'HTTP status',
      issuer: async () => `${(await misbehaving({ kind: 'status', status: 404, contentType: 'text/html', body: 'Not Found' })).url}/realms/demo`,
      want: (i) => `${wellKnown(i)}HTTP 404`,
    },
    {
      name: 'HTML instead of JSON',
      issuer: async () => `${(await misbehaving({ kind: 'html' })).url}/realms/demo`,
      want: (i) => `${wellKnown(i)}HTTP 200 with content-type "text/html; charset=utf-8", not JSON`,
    },
    {
      name: 'issuer mismatch names both issuers',
      issuer: async () => `${(await misbehaving({ kind: 'json', json: doc('https://keycloak.example.com/realms/other', 'https://keycloak.example.com/t') })).url}/realms/demo`,
      want: (i) => `${wellKnown(i)}issuer does not match: the discovery document says "https://keycloak.example.com/realms/other", keygate is configured with "${i}" (issuer / $KEYGATE_ISSUER must be exactly the realm's issuer)`,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const issuer = await c.issuer();
      const got = await discoveryError(issuer, issuer.startsWith('https:') ? { KEYGATE_ALLOW_INSECURE_ISSUER: 'false' } : {});
      const want = c.want(issuer);
      if (typeof want === 'string') assert.equal(got, want);
      else assert.match(got, want);
    });
  }
});

describe('token endpoint failures (refresh, code exchange) name the endpoint, the cause and the status', () => {
  /** An openid-client configuration discovered from a server whose token endpoint is `token`. */
  async function configuration(token: (issuer: string) => string): Promise<oidc.Configuration> {
    const meta = await misbehaving({ kind: 'hang' });
    const issuer = `${meta.url}/realms/demo`;
    meta.set({ kind: 'json', json: doc(issuer, token(issuer)) });
    const fetch = boundedFetch(globalThis.fetch, { timeoutMs: 500, maxBytes: 64 * 1024 });
    return oidc.discovery(new URL(issuer), 'keygate', undefined, oidc.ClientSecretPost('s'), { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: fetch as oidc.CustomFetch, timeout: 2 });
  }
  const refresh = async (conf: oidc.Configuration) => {
    const err = await oidc.refreshTokenGrant(conf, 'a-refresh-token').then(() => undefined, (e: unknown) => e);
    return translateGrantError(err, 'refresh', conf);
  };

  it('connection refused: ERR_IDP_UNAVAILABLE, the token endpoint and ECONNREFUSED', async () => {
    const port = await freePort();
    const e = await refresh(await configuration(() => `http://127.0.0.1:${port}/token`));
    assert.equal(e.code, 'ERR_IDP_UNAVAILABLE');
    assert.equal(e.detail, `refresh http://127.0.0.1:${port}/token: connection refused (ECONNREFUSED)`);
  });

  it('502 with an HTML body: ERR_IDP_UNAVAILABLE (no longer an ended session) with the status', async () => {
    const tok = await misbehaving({ kind: 'status', status: 502, contentType: 'text/html', body: '<html>Bad Gateway</html>' });
    const e = await refresh(await configuration(() => `${tok.url}/token`));
    assert.equal(e.code, 'ERR_IDP_UNAVAILABLE');
    assert.equal(e.detail, `refresh ${tok.url}/token: HTTP 502`);
  });

  it('an OAuth error answer: ERR_LOGIN_FAILED with the status and the OAuth error code', async () => {
    const tok = await misbehaving({ kind: 'status', status: 400, contentType: 'application/json', body: JSON.stringify({ error: 'invalid_grant', error_description: 'Token is not active' }) });
    const e = await refresh(await configuration(() => `${tok.url}/token`));
    assert.equal(e.code, 'ERR_LOGIN_FAILED');
    assert.equal(e.detail, `refresh ${tok.url}/token: HTTP 400 error="invalid_grant"`);
    assert.ok(e.cause instanceof oidc.ResponseBodyError, 'the library error is kept as cause');
  });

  it('an answer over the size limit: ERR_IDP_UNAVAILABLE naming the limit', async () => {
    const tok = await misbehaving({ kind: 'huge-json', bytes: 1024 * 1024, json: { access_token: 'x' } });
    const e = await refresh(await configuration(() => `${tok.url}/token`));
    assert.equal(e.code, 'ERR_IDP_UNAVAILABLE');
    assert.equal(e.detail, `refresh ${tok.url}/token: answer larger than the 65536-byte limit`);
  });
});

/** A port serving plain HTTP (an https client gets a TLS error there). */
async function plainHttpPort(): Promise<number> {
  const server = createServer((_req, res) => res.end('plain'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({ close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) });
  return (server.address() as { port: number }).port;
}

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
