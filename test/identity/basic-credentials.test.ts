/** Basic client credentials exchanged for tokens (issue 14.1): listing, caching by hash, expiry, rate limits, no secrets. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../src/errors.js';
import { createBasicExchange, credentialKey, parseBasic, type BasicExchangeOptions, type BasicFailure } from '../../src/identity/basic-credentials.js';

const ENDPOINT = 'https://keycloak.example.com/realms/prefect/protocol/openid-connect/token';
const SECRET = 'worker-secret-Zq8';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A token endpoint that knows `secrets` (client → secret), counts calls and can be switched to refuse or fail. */
function keycloak(secrets: Record<string, string>, expiresIn = 300) {
  const calls: Array<Record<string, string>> = [];
  let mode: 'ok' | 'down' | 'error' = 'ok';
  let n = 0;
  const disabled = new Set<string>();
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    assert.equal(String(url), ENDPOINT);
    const form = Object.fromEntries(new URLSearchParams(String(init?.body)));
    calls.push(form);
    if (mode === 'down') throw new TypeError('fetch failed');
    if (mode === 'error') return new Response('{}', { status: 502 });
    const id = form['client_id'] ?? '';
    if (form['grant_type'] !== 'client_credentials' || secrets[id] !== form['client_secret']) return Response.json({ error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' }, { status: 401 });
    if (disabled.has(id)) return Response.json({ error: 'invalid_client', error_description: 'Invalid client credentials' }, { status: 401 });
    n += 1;
    return Response.json({ access_token: `token-${id}-${n}`, expires_in: expiresIn, token_type: 'Bearer' });
  }) as typeof fetch;
  return { fetch: fetchFn, calls, disabled, set: (m: typeof mode) => { mode = m; } };
}

function setup(over: Partial<BasicExchangeOptions> = {}, secrets: Record<string, string> = { 'prefect-worker': SECRET, 'other-worker': 'other-secret' }) {
  const kc = keycloak(secrets);
  let now = 1_000_000;
  const failures: BasicFailure[] = [];
  const exchange = createBasicExchange({
    clients: ['prefect-worker', 'other-worker'], tokenEndpoint: () => ENDPOINT, fetch: kc.fetch, now: () => now,
    onFailure: (r) => failures.push(r), ...over,
  });
  return { kc, exchange, failures, tick: (ms: number) => { now += ms; } };
}

/** The AuthError a failed exchange throws; asserts that the secret appears nowhere in it. */
async function refused(p: Promise<string>, secret = SECRET): Promise<AuthError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AuthError, String(err));
    for (const text of [err.message, err.detail ?? '', JSON.stringify(err), String(err.stack)]) assert.ok(!text.includes(secret), `the secret leaked: ${text}`);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('parseBasic', () => {
  const table: Array<{ name: string; input: string; want: { id: string; secret: string } | undefined }> = [
    { name: 'client_id:client_secret', input: b64('prefect-worker:s3cret'), want: { id: 'prefect-worker', secret: 's3cret' } },
    { name: 'a colon in the secret stays in the secret', input: b64('w:a:b'), want: { id: 'w', secret: 'a:b' } },
    { name: 'no colon', input: b64('prefect-worker'), want: undefined },
    { name: 'empty id', input: b64(':secret'), want: undefined },
    { name: 'empty secret', input: b64('id:'), want: undefined },
    { name: 'not base64', input: 'not base64!', want: undefined },
    { name: 'empty', input: '', want: undefined },
  ];
  for (const c of table) it(c.name, () => assert.deepEqual(parseBasic(c.input), c.want));
});

describe('createBasicExchange', () => {
  it('exchanges listed credentials with the client-credentials grant and caches the token until it expires', async () => {
    const s = setup();
    const creds = b64(`prefect-worker:${SECRET}`);
    assert.equal(await s.exchange(creds, '10.0.0.1'), 'token-prefect-worker-1');
    assert.deepEqual(s.kc.calls, [{ grant_type: 'client_credentials', client_id: 'prefect-worker', client_secret: SECRET }]);
    s.tick(289_000);
    assert.equal(await s.exchange(creds, '10.0.0.2'), 'token-prefect-worker-1', 'cached (300 s token, 10 s margin)');
    assert.equal(s.kc.calls.length, 1);
    s.tick(2_000);
    assert.equal(await s.exchange(creds, '10.0.0.1'), 'token-prefect-worker-2', 'a new token once the cached one is within the margin of exp');
    assert.equal(s.kc.calls.length, 2);
    assert.deepEqual(s.failures, []);
  });

  it('a cached token is never answered for the same client with another secret (the key covers both)', async () => {
    const s = setup();
    await s.exchange(b64(`prefect-worker:${SECRET}`), 'p');
    const err = await refused(s.exchange(b64('prefect-worker:guess'), 'p'), 'guess');
    assert.equal(err.code, 'ERR_TOKEN_INVALID');
    assert.equal(err.detail, 'Keycloak refused the client credentials of client "prefect-worker" (unauthorized_client)');
    assert.notEqual(credentialKey('prefect-worker', SECRET), credentialKey('prefect-worker', 'guess'));
    assert.ok(!credentialKey('prefect-worker', SECRET).includes(SECRET));
  });

  it('a client not in basicClients is refused without asking Keycloak', async () => {
    const s = setup({ clients: ['other-worker'] });
    const err = await refused(s.exchange(b64(`prefect-worker:${SECRET}`), 'p'));
    assert.equal(err.code, 'ERR_NO_CREDENTIALS');
    assert.equal(err.detail, 'Basic credentials for client "prefect-worker", which is not in basicClients');
    assert.deepEqual(s.kc.calls, []);
    assert.deepEqual(s.failures, ['not_listed']);
  });

  it('a malformed header is refused without asking Keycloak', async () => {
    const s = setup();
    const err = await refused(s.exchange('%%%', 'p'));
    assert.equal(err.code, 'ERR_TOKEN_INVALID');
    assert.deepEqual(s.kc.calls, []);
    assert.deepEqual(s.failures, ['malformed']);
  });

  it('a client disabled in Keycloak keeps its cached token until it expires, then is refused', async () => {
    const s = setup();
    const creds = b64(`prefect-worker:${SECRET}`);
    await s.exchange(creds, 'p');
    s.kc.disabled.add('prefect-worker');
    s.tick(200_000);
    assert.equal(await s.exchange(creds, 'p'), 'token-prefect-worker-1', 'still inside the token lifetime');
    s.tick(100_000);
    const err = await refused(s.exchange(creds, 'p'));
    assert.equal(err.code, 'ERR_TOKEN_INVALID');
    assert.equal(err.detail, 'Keycloak refused the client credentials of client "prefect-worker" (invalid_client)');
    assert.deepEqual(s.failures, ['rejected']);
  });

  it('failed exchanges are limited per client: the sixth in a minute is refused without asking Keycloak', async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) await refused(s.exchange(b64(`prefect-worker:wrong-${i}`), `10.0.0.${i}`), `wrong-${i}`);
    assert.equal(s.kc.calls.length, 5);
    const err = await refused(s.exchange(b64(`prefect-worker:${SECRET}`), '10.0.0.9'));
    assert.equal(err.code, 'ERR_TOKEN_INVALID');
    assert.match(err.detail ?? '', /too many failed exchanges/);
    assert.equal(s.kc.calls.length, 5, 'Keycloak was not asked');
    assert.deepEqual(s.failures, ['rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rate_limited']);
    // Another client is not affected, and the window ends.
    assert.equal(await s.exchange(b64('other-worker:other-secret'), '10.0.0.9'), 'token-other-worker-1');
    s.tick(60_000);
    assert.equal(await s.exchange(b64(`prefect-worker:${SECRET}`), '10.0.0.9'), 'token-prefect-worker-2');
  });

  it('failed exchanges are limited per peer, across clients', async () => {
    const s = setup({ limits: { perClient: 100, perPeer: 3, windowMs: 60_000 } });
    for (const c of ['prefect-worker', 'other-worker', 'prefect-worker']) await refused(s.exchange(b64(`${c}:wrong`), '10.9.9.9'), 'wrong');
    const err = await refused(s.exchange(b64('other-worker:other-secret'), '10.9.9.9'), 'other-secret');
    assert.match(err.detail ?? '', /too many failed exchanges/);
    assert.equal(await s.exchange(b64('other-worker:other-secret'), '10.1.1.1'), 'token-other-worker-1', 'another peer still gets through');
  });

  it('Keycloak unreachable or failing gives 503 (ERR_IDP_UNAVAILABLE), not counted towards the limits', async () => {
    const s = setup({ limits: { perClient: 1, perPeer: 1, windowMs: 60_000 } });
    s.kc.set('down');
    assert.equal((await refused(s.exchange(b64(`prefect-worker:${SECRET}`), 'p'))).code, 'ERR_IDP_UNAVAILABLE');
    s.kc.set('error');
    assert.equal((await refused(s.exchange(b64(`prefect-worker:${SECRET}`), 'p'))).code, 'ERR_IDP_UNAVAILABLE');
    s.kc.set('ok');
    assert.equal(await s.exchange(b64(`prefect-worker:${SECRET}`), 'p'), 'token-prefect-worker-1');
    assert.deepEqual(s.failures, ['unavailable', 'unavailable']);
  });

  it('before discovery there is no token endpoint: 503', async () => {
    const s = setup({ tokenEndpoint: () => undefined });
    assert.equal((await refused(s.exchange(b64(`prefect-worker:${SECRET}`), 'p'))).code, 'ERR_IDP_UNAVAILABLE');
  });

  it('concurrent requests with the same credentials share one exchange', async () => {
    const s = setup();
    const creds = b64(`prefect-worker:${SECRET}`);
    const got = await Promise.all([s.exchange(creds, 'a'), s.exchange(creds, 'b'), s.exchange(creds, 'c')]);
    assert.deepEqual(got, ['token-prefect-worker-1', 'token-prefect-worker-1', 'token-prefect-worker-1']);
    assert.equal(s.kc.calls.length, 1);
  });

  it('the cache is bounded: the oldest entry goes first', async () => {
    const s = setup({ cacheSize: 1 });
    await s.exchange(b64(`prefect-worker:${SECRET}`), 'p');
    await s.exchange(b64('other-worker:other-secret'), 'p');
    await s.exchange(b64(`prefect-worker:${SECRET}`), 'p');
    assert.equal(s.kc.calls.length, 3);
  });
});

describe('createBasicExchange: credentials that worked before', () => {
  it('are not locked out by a stranger\'s failed guesses for the same client or from the same peer', async () => {
    const s = setup({ marginSeconds: 0 });
    const creds = b64(`prefect-worker:${SECRET}`);
    assert.equal(await s.exchange(creds, 'worker-host'), 'token-prefect-worker-1');
    for (let i = 0; i < 25; i++) await refused(s.exchange(b64(`prefect-worker:guess-${i}`), 'worker-host'), `guess-${i}`);
    assert.equal(s.failures.filter((f) => f === 'rate_limited').length, 20);
    s.tick(300_000);
    assert.equal(await s.exchange(creds, 'worker-host'), 'token-prefect-worker-2', 'the worker renews its token although the client and the peer are over their limits');
  });
});
