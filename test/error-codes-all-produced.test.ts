/**
 * Issue 17 point 2: every code of the error catalog (src/errors.ts) is produced by some path of the real service.
 * Each scenario drives keygate over HTTP (or starts it), and the code is read back from what keygate produced: the
 * JSON answer (status and public message), the audit line's `error`, the sign-in error page, or the startup error.
 * The last test checks that the codes read back are exactly the catalog's.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../src/config/types.js';
import type { KeycloakLookalike } from '../dev/idp/types.js';
import { ERRORS, isAuthError, type ErrorCode } from '../src/errors.js';
import { startService } from '../src/main.js';
import { createSessionModule } from '../src/session/module.js';
import { silentLogger } from '../src/util/log.js';
import { APP_HOST, APP_POLICY } from './integration/fixtures.js';
import { startTestIdp } from './support/idp.js';
import { freePort, tempDir } from './support/proc.js';
import { configFrom, startKeygate, testEnv, type TestKeygate } from './support/keygate.js';

const POLICY = `${APP_POLICY}  - name: step-up
    hosts: [${APP_HOST}]
    paths: ["/gold/**"]
    allow:
      anyRole: [viewer]
      maxAuthAge: 60
`;

let idp: KeycloakLookalike;
const started: TestKeygate[] = [];
let kg: TestKeygate;
const produced = new Map<ErrorCode, string>();

before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, POLICY, { env: { KEYGATE_REDIRECT_HOSTS: '127.0.0.1' }, service: { sessions: createSessionModule } });
  started.push(kg);
});
after(async () => {
  for (const k of started) await k.close();
  await idp.close();
});

const isCode = (c: unknown): c is ErrorCode => typeof c === 'string' && Object.hasOwn(ERRORS, c);

/** The code keygate's answer and audit line name: the audit line's `error`, else the JSON answer's public message. */
async function codeOf(k: TestKeygate, res: Response): Promise<ErrorCode | undefined> {
  const text = await res.text();
  const page = /Code: <code>(ERR_[A-Z_]+)<\/code>/.exec(text)?.[1];
  if (isCode(page)) return page;
  const line = k.logs().filter((l) => l['msg'] === 'decision').at(-1);
  if (isCode(line?.['error'])) return line['error'];
  const body = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {};
  return (Object.keys(ERRORS) as ErrorCode[]).find((c) => ERRORS[c].status === res.status && ERRORS[c].message === body['error_description']);
}

/** Records what a scenario produced and checks it is the code it should produce, with that code's status. */
async function expect(name: string, want: ErrorCode, k: TestKeygate, res: Response): Promise<void> {
  const status = res.status;
  const got = await codeOf(k, res);
  if (got !== undefined) produced.set(got, name);
  assert.deepEqual({ code: got, status }, { code: want, status: want === 'ERR_POLICY_DENIED' || want === 'ERR_UNTRUSTED_PEER' ? 403 : ERRORS[want].status });
}

/** The catalog code of what starting keygate throws, with `policy` as its policy file and `change` made to its config. */
async function startupError(policy: string, change: Partial<Config> = {}): Promise<ErrorCode | undefined> {
  const policyFile = join(tempDir('keygate-catalog-'), 'policy.yaml');
  writeFileSync(policyFile, policy);
  const config = { ...configFrom(testEnv(idp.issuer, policyFile, await freePort())), ...change };
  const err = await startService(config, { sessions: createSessionModule, watchPolicy: false, log: silentLogger }).then(async (s) => { await s.close(); return undefined; }, (e: unknown) => e);
  return isAuthError(err) ? err.code : undefined;
}

describe('every catalog code is produced by a path of the real service', () => {
  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

  it('ERR_NO_CREDENTIALS: an API call without credentials', async () => {
    await expect('no credentials', 'ERR_NO_CREDENTIALS', kg, await kg.auth('GET', APP_HOST, '/api/flows', { accept: 'application/json' }));
  });
  it('ERR_TOKEN_INVALID: a token that is not one', async () => {
    await expect('bad token', 'ERR_TOKEN_INVALID', kg, await kg.auth('GET', APP_HOST, '/api/flows', bearer('garbage.token.here')));
  });
  it('ERR_TOKEN_EXPIRED: an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect('expired token', 'ERR_TOKEN_EXPIRED', kg, await kg.auth('GET', APP_HOST, '/api/flows', bearer(await idp.mintAccessToken({ iat: now - 7200, exp: now - 3600 }, { user: 'bob' }))));
  });
  it('ERR_SESSION_EXPIRED: an API call with a session cookie that no longer opens', async () => {
    await expect('ended session', 'ERR_SESSION_EXPIRED', kg, await kg.auth('GET', APP_HOST, '/api/flows', { accept: 'application/json', cookie: `${kg.config.cookie.name}=eyJraWQiOiJ4In0.gone` }));
  });
  it('ERR_POLICY_DENIED: a valid token without the role', async () => {
    await expect('denied', 'ERR_POLICY_DENIED', kg, await kg.auth('GET', APP_HOST, '/admin/x', bearer(await idp.mintAccessToken({}, { user: 'alice' }))));
  });
  it('ERR_STEP_UP_REQUIRED: a sign-in older than maxAuthAge', async () => {
    const token = await idp.mintAccessToken({ auth_time: Math.floor(Date.now() / 1000) - 3600 }, { user: 'alice' });
    await expect('step-up', 'ERR_STEP_UP_REQUIRED', kg, await kg.auth('GET', APP_HOST, '/gold/x', bearer(token)));
  });
  it('ERR_BAD_TARGET: an encoded slash', async () => {
    await expect('bad target', 'ERR_BAD_TARGET', kg, await kg.auth('GET', APP_HOST, '/api/a%2Fb'));
  });
  it('ERR_BAD_REDIRECT: sign-in start towards a host keygate does not protect', async () => {
    await expect('bad rd', 'ERR_BAD_REDIRECT', kg, await fetch(`${kg.url}/_keygate/start?rd=${encodeURIComponent('https://evil.example.net/')}`, { redirect: 'manual' }));
  });
  it('ERR_LOGIN_FAILED: a callback without a login in progress', async () => {
    await expect('bad callback', 'ERR_LOGIN_FAILED', kg, await fetch(`${kg.url}/_keygate/callback?state=nope&code=x`, { redirect: 'manual' }));
  });
  it('ERR_INTERNAL: a policy that throws', async () => {
    const broken = await startKeygate(idp.issuer, APP_POLICY, { service: { match: () => { throw new TypeError('evaluate exploded'); } } });
    started.push(broken);
    await expect('internal', 'ERR_INTERNAL', broken, await broken.auth('GET', APP_HOST, '/api/flows'));
  });
  it('ERR_UNTRUSTED_PEER: forwarded headers from a peer outside trustedProxies', async () => {
    const untrusting = await startKeygate(idp.issuer, APP_POLICY, { env: { KEYGATE_TRUSTED_PROXIES: '10.0.0.0/8' } });
    started.push(untrusting);
    await expect('untrusted peer', 'ERR_UNTRUSTED_PEER', untrusting, await untrusting.auth('GET', APP_HOST, '/api/flows'));
  });
  it('ERR_IDP_UNAVAILABLE: a token while the IdP is down and nothing is cached', async () => {
    const down = await startTestIdp();
    const token = await down.mintAccessToken({}, { user: 'alice' });
    await down.stop();
    const cold = await startKeygate(down.issuer, APP_POLICY);
    started.push(cold);
    try {
      await expect('idp down', 'ERR_IDP_UNAVAILABLE', cold, await cold.auth('GET', APP_HOST, '/api/flows', bearer(token)));
    } finally {
      await down.close();
    }
  });
  it('ERR_POLICY_INVALID: starting with an invalid policy', async () => {
    const code = await startupError('version: 1\nrules:\n  - name: Bad Name\n');
    if (code !== undefined) produced.set(code, 'invalid policy');
    assert.equal(code, 'ERR_POLICY_INVALID');
  });
  it('ERR_CONFIG_INVALID: starting with a revocation store URL that is not redis://', async () => {
    const code = await startupError(APP_POLICY, { redisUrl: 'http://127.0.0.1:1' });
    if (code !== undefined) produced.set(code, 'invalid config');
    assert.equal(code, 'ERR_CONFIG_INVALID');
  });
  it('the codes produced are exactly the catalog', () => {
    assert.deepEqual([...produced.keys()].sort(), Object.keys(ERRORS).sort());
  });
});
