/** Helpers for the look-alike's own tests: decoding JWTs, token requests and a browserless code flow. */

import assert from 'node:assert/strict';

import type { KeycloakLookalike } from '../../dev/idp/index.js';
import { CookieClient, KEYGATE_CLIENT, pkcePair, submitLoginForm } from '../support/idp.js';

/** A JWT's header and payload, decoded without verification (tests verify separately where it matters). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header = '', payload = ''] = token.split('.');
  const parse = (part: string): Record<string, unknown> => {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), 'JWT part must be a JSON object');
    return Object.fromEntries(Object.entries(value));
  };
  return { header: parse(header), payload: parse(payload) };
}

/** Basic authorization header value (RFC 6749 §2.3.1). */
export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** A token endpoint answer: status and JSON body. */
export interface TokenAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** POSTs a form to the token endpoint, optionally with client_secret_basic. */
export async function tokenRequest(
  idp: KeycloakLookalike, form: Record<string, string>, authorization?: string,
): Promise<TokenAnswer> {
  const response = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: authorization === undefined ? {} : { authorization },
    body: new URLSearchParams(form),
  });
  const body: unknown = await response.json();
  assert.ok(typeof body === 'object' && body !== null);
  return { status: response.status, body: Object.fromEntries(Object.entries(body)) };
}

/** A string field of a JSON answer; fails the test when it is not a string. */
export function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  assert.equal(typeof value, 'string', `${name} must be a string`);
  return String(value);
}

/** Tokens from a completed code flow. */
export interface CodeFlowResult {
  readonly client: CookieClient;
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string;
}

/** The authorization request URL for the keygate client. */
export function authorizationUrl(idp: KeycloakLookalike, redirectUri: string, challenge: string): URL {
  const url = new URL(`${idp.issuer}/protocol/openid-connect/auth`);
  url.search = new URLSearchParams({
    client_id: KEYGATE_CLIENT.clientId,
    response_type: 'code',
    scope: 'openid profile email',
    redirect_uri: redirectUri,
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url;
}

/** Runs the whole code + PKCE flow over plain HTTP, asserting each step, and exchanges the code. */
export async function codeFlow(
  idp: KeycloakLookalike, username: string, password: string, redirectUri = 'http://127.0.0.1:9/_keygate/callback',
): Promise<CodeFlowResult> {
  const client = new CookieClient();
  const { verifier, challenge } = pkcePair();
  const atCallback = (next: URL): boolean => next.href.startsWith(redirectUri);
  const page = await client.follow(authorizationUrl(idp, redirectUri, challenge), {}, atCallback);
  assert.equal(page.response.status, 200, 'the authorization request leads to the login form');
  const login = await submitLoginForm(client, { html: await page.response.text(), url: page.url }, username, password);
  const location = login.headers.get('location');
  assert.ok(login.status === 303 && location !== null, 'valid credentials redirect back to the authorization endpoint');
  const callback = await client.follow(new URL(location, page.url), {}, atCallback);
  assert.equal(callback.url.searchParams.get('state'), 'state-1');
  assert.equal(callback.url.searchParams.get('iss'), idp.issuer);
  const code = callback.url.searchParams.get('code');
  assert.ok(code !== null, 'the callback carries a code');
  const tokens = await tokenRequest(idp, {
    grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier,
  }, basic(KEYGATE_CLIENT.clientId, KEYGATE_CLIENT.secret));
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return {
    client,
    accessToken: stringField(tokens.body, 'access_token'),
    idToken: stringField(tokens.body, 'id_token'),
    refreshToken: stringField(tokens.body, 'refresh_token'),
  };
}
