import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

import {
  DevIdpError, isLoopbackHost, startKeycloakLookalike, type KeycloakLookalike,
} from '../../dev/idp/index.js';
import { CI_RUNNER, startTestIdp } from '../support/idp.js';

let idp: KeycloakLookalike;

before(async () => {
  idp = await startTestIdp();
});
after(async () => {
  await idp.close();
});

async function certsKids(): Promise<string[]> {
  const response = await fetch(`${idp.issuer}/protocol/openid-connect/certs`);
  const body: unknown = await response.json();
  const keys = typeof body === 'object' && body !== null ? Reflect.get(body, 'keys') : undefined;
  assert.ok(Array.isArray(keys));
  return keys
    .filter((key: unknown) => typeof key === 'object' && key !== null && Reflect.get(key, 'use') === 'sig')
    .map((key: unknown) => String(typeof key === 'object' && key !== null ? Reflect.get(key, 'kid') : ''));
}

describe('key rotation', () => {
  it('rotateKeys() signs with a new kid and drops the old key from the JWKS', async () => {
    const old = idp.currentKid();
    await idp.rotateKeys();
    assert.notEqual(idp.currentKid(), old);
    assert.deepEqual(await certsKids(), [idp.currentKid()]);
    const token = await idp.clientCredentialsToken(CI_RUNNER.clientId, CI_RUNNER.secret);
    assert.equal(decodeProtectedHeader(token).kid, idp.currentKid(), 'the provider signs with the new key');
  });

  it('rotateKeys({ keepOld: true }) keeps the old key published', async () => {
    const old = idp.currentKid();
    const oldToken = await idp.mintAccessToken({}, { user: 'alice' });
    await idp.rotateKeys({ keepOld: true });
    assert.deepEqual(await certsKids(), [idp.currentKid(), old]);
    const { payload } = await jwtVerify(oldToken, createLocalJWKSet(idp.publicJwks()), { issuer: idp.issuer });
    assert.equal(payload.preferred_username, 'alice');
  });
});

describe('stop() and start()', () => {
  it('stop() refuses connections; start() serves again on the same port with the same kid', async () => {
    const kid = idp.currentKid();
    const port = idp.port;
    // A pooled keep-alive connection must not survive stop().
    assert.equal((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status, 200);
    await idp.stop();
    await assert.rejects(fetch(`${idp.issuer}/.well-known/openid-configuration`), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      const cause: unknown = error.cause;
      assert.ok(typeof cause === 'object' && cause !== null);
      assert.equal(Reflect.get(cause, 'code'), 'ECONNREFUSED');
      return true;
    });
    await idp.start();
    assert.equal(idp.port, port);
    assert.equal(idp.currentKid(), kid);
    assert.equal((await certsKids())[0], kid);
    const token = await idp.clientCredentialsToken(CI_RUNNER.clientId, CI_RUNNER.secret);
    assert.equal(decodeProtectedHeader(token).kid, kid);
  });

  it('start() after close() fails with ERR_DEV_IDP_CLOSED', async () => {
    const other = await startTestIdp();
    await other.close();
    await assert.rejects(other.start(), (error: unknown) => error instanceof DevIdpError && error.code === 'ERR_DEV_IDP_CLOSED');
  });
});

describe('loopback only', () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', 'keycloak.local']) {
    it(`refuses host ${host}`, async () => {
      await assert.rejects(startKeycloakLookalike({ host }), (error: unknown) => {
        assert.ok(error instanceof DevIdpError);
        assert.equal(error.code, 'ERR_DEV_IDP_NOT_LOOPBACK');
        assert.equal(
          error.message,
          `the Keycloak look-alike is a development IdP and only listens on loopback addresses (127.0.0.1, ::1, localhost), got host "${host}"`,
        );
        return true;
      });
    });
  }

  const table = [
    { input: '127.0.0.1', want: true },
    { input: '127.1.2.3', want: true },
    { input: 'localhost', want: true },
    { input: 'LOCALHOST', want: true },
    { input: '::1', want: true },
    { input: '[::1]', want: true },
    { input: '0:0:0:0:0:0:0:1', want: true },
    { input: '::ffff:127.0.0.1', want: true },
    { input: '128.0.0.1', want: false },
    { input: '::ffff:10.0.0.1', want: false },
    { input: '0.0.0.0', want: false },
    { input: '', want: false },
  ];
  for (const { input, want } of table) {
    it(`isLoopbackHost(${JSON.stringify(input)}) is ${String(want)}`, () => {
      assert.equal(isLoopbackHost(input), want);
    });
  }
});

describe('options', () => {
  it('a custom realm changes the issuer path', async () => {
    const custom = await startKeycloakLookalike({ realm: 'acme' });
    try {
      assert.equal(custom.issuer, `http://127.0.0.1:${custom.port}/realms/acme`);
      const response = await fetch(`${custom.issuer}/.well-known/openid-configuration`);
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    } finally {
      await custom.close();
    }
  });

  it('bad options are refused with ERR_DEV_IDP_BAD_OPTIONS', async () => {
    const cases = [
      { options: { port: 70000 }, message: 'port must be an integer from 0 to 65535, got 70000' },
      { options: { realm: 'a/b' }, message: 'realm must match ^[A-Za-z0-9._-]+$, got "a/b"' },
      { options: { accessTokenTtlSeconds: 0 }, message: 'accessTokenTtlSeconds must be a positive integer, got 0' },
      {
        options: { users: [{ username: 'x', password: 'x', groups: ['team'] }] },
        message: 'users: group "team" of "x" must be a full path like /a/b',
      },
    ];
    for (const c of cases) {
      await assert.rejects(startKeycloakLookalike(c.options), (error: unknown) => {
        assert.ok(error instanceof DevIdpError);
        assert.equal(error.code, 'ERR_DEV_IDP_BAD_OPTIONS');
        assert.equal(error.message, c.message);
        return true;
      });
    }
  });
});
