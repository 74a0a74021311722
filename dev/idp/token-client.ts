/** A minimal OAuth client for the test controls: client_credentials against the token endpoint. */

import { DevIdpError } from './errors.js';

/** RFC 6749 §2.3.1: client id and secret are form-encoded before base64. */
function basicAuthorization(clientId: string, secret: string): string {
  const encode = (value: string): string => encodeURIComponent(value).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/** POSTs a client_credentials grant (client_secret_basic) and returns the access token. */
export async function requestClientCredentials(tokenEndpoint: string, clientId: string, secret: string): Promise<string> {
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: basicAuthorization(clientId, secret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const body: unknown = await response.json().catch(() => undefined);
  const field = (name: string): unknown => (typeof body === 'object' && body !== null ? Reflect.get(body, name) : undefined);
  const token = field('access_token');
  if (response.status !== 200 || typeof token !== 'string') {
    const error = field('error');
    throw new DevIdpError(
      'ERR_DEV_IDP_TOKEN_REQUEST',
      `client_credentials for "${clientId}" failed: HTTP ${response.status}${typeof error === 'string' ? ` ${error}` : ''}`,
    );
  }
  return token;
}
