/**
 * Step-up of a browser session (issue 13 point 3). Against the Keycloak look-alike through a forward-auth gateway:
 * its code-flow tokens carry no auth_time, so an XHR gets 401 insufficient_user_authentication and a navigation is
 * never sent round a login loop. With a stub session layer: an older session's navigation is challenged with the
 * rule's max_age / acr values, a fresh one that still fails gets 403.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { KeycloakLookalike } from '../../dev/idp/types.js';
import { DEFAULT_HEADERS } from '../../src/config/session-settings.js';
import { startGateway, type Gateway } from '../../dev/gateway.js';
import { createSessionModule } from '../../src/session/module.js';
import { CookieClient, startTestIdp } from '../support/idp.js';
import { startKeygate, type TestKeygate } from '../support/keygate.js';
import type { Identity } from '../../src/identity/types.js';
import type { StepUp } from '../../src/policy/types.js';
import { NAVIGATE, signIn } from '../support/login.js';
import { rawFetch } from '../support/raw-fetch.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const MAX_AGE = 6;
const POLICY = `version: 1
rules:
  - name: run
    paths: ["/run/**"]
    allow:
      anyRole: [viewer]
      maxAuthAge: ${MAX_AGE}
  - name: gold-only
    paths: ["/gold/**"]
    allow:
      anyRole: [viewer]
      acr: [gold]
  - name: ui
    paths: ["/**"]
    allow: authenticated
`;

let idp: KeycloakLookalike;
let kg: TestKeygate;
let gw: Gateway;
let app: Upstream;

before(async () => {
  idp = await startTestIdp();
  kg = await startKeygate(idp.issuer, POLICY, { env: { KEYGATE_REDIRECT_HOSTS: '127.0.0.1' }, service: { sessions: createSessionModule } });
  app = await startUpstream();
  gw = await startGateway({ host: '127.0.0.1', port: 0, authUrl: `${kg.url}/auth`, upstream: app.url, authResponseHeaders: Object.values(DEFAULT_HEADERS) });
});
after(async () => {
  await gw?.close();
  await app?.close();
  await kg?.close();
  await idp?.close();
});

describe('step-up of a browser session', () => {
  it('an XHR of an older session gets 401 insufficient_user_authentication, not a redirect', async () => {
    const client = new CookieClient();
    (await signIn(client, `${gw.url}/ui`, 'alice', 'alice')).response.arrayBuffer();
    await sleep((MAX_AGE + 1) * 1000);
    const xhr = await client.fetch(`${gw.url}/run/x`, { headers: { accept: 'application/json', 'sec-fetch-mode': 'cors' }, redirect: 'manual' });
    assert.equal(xhr.status, 401);
    assert.match(xhr.headers.get('www-authenticate') ?? '', /error="insufficient_user_authentication".*max_age=6/);
  });

  it('a rule no new sign-in can satisfy (acr the IdP never gives) answers 403 right after signing in: no loop', async () => {
    const client = new CookieClient();
    const r = await signIn(client, `${gw.url}/ui`, 'alice', 'alice');
    await r.response.arrayBuffer();
    const nav = await client.fetch(`${gw.url}/gold/x`, { headers: NAVIGATE, redirect: 'manual' });
    assert.equal(nav.status, 403);
  });
});

describe('step-up challenge of a browser session (stub session layer)', () => {
  let stub: TestKeygate;
  let authAge = 0;
  const asked: (StepUp | undefined)[] = [];
  const session = (): Identity => ({ sub: 's', username: 'alice', email: '', name: '', roles: ['viewer'], groups: [], scopes: [], via: 'session', authTime: Math.floor(Date.now() / 1000) - authAge });

  before(async () => {
    stub = await startKeygate(idp.issuer, POLICY, {
      service: {
        sessions: () => ({
          identify: () => ({ identity: session() }),
          route: async () => ({ kind: 'not-found' }),
          backchannel: async () => ({ kind: 'revoked' }),
          challenge: async ({ stepUp }) => {
            asked.push(stepUp);
            return { kind: 'redirect', location: 'https://kc.example.com/auth', method: 'GET', via: 'traefik', cookies: [] };
          },
        }),
      },
    });
  });
  after(async () => stub?.close());
  // node's fetch always sends Sec-Fetch-Mode: cors; a navigation needs the raw request.
  const navigate = (uri: string): Promise<Response> => rawFetch(`${stub.url}/auth`, {
    headers: { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': uri, ...NAVIGATE },
    redirect: 'manual',
  });

  it('a session signed in longer ago than maxAuthAge is sent to sign in again, asked for max_age', async () => {
    authAge = MAX_AGE + 60;
    asked.length = 0;
    const res = await navigate('/run/x');
    assert.equal(res.status, 302);
    assert.deepEqual(asked, [{ acr: undefined, maxAge: MAX_AGE }]);
  });

  it('a session that just signed in and still fails gets 403, not another login (no loop)', async () => {
    authAge = 1;
    asked.length = 0;
    const res = await navigate('/gold/x');
    assert.equal(res.status, 403);
    assert.deepEqual(asked, []);
  });

  it('an older session missing the acr is asked for it', async () => {
    authAge = 60;
    asked.length = 0;
    assert.equal((await navigate('/gold/x')).status, 302);
    assert.deepEqual(asked, [{ acr: ['gold'], maxAge: undefined }]);
  });

  it('a fresh session passes', async () => {
    authAge = 1;
    assert.equal((await navigate('/run/x')).status, 200);
  });
});
