/**
 * The real Keycloak that test/run.ts boots for the real-system suite: readiness, realms, tokens from its token
 * endpoint (never minted by a test), and its admin REST API.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { skipLoudly } from './proc.js';
import { realmFiles } from './realms.js';

/** A token endpoint answer. */
export interface TokenSet {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  readonly expires_in: number;
  readonly session_state?: string;
}

/** The running real Keycloak. */
export interface RealKeycloak {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** The issuer of a realm: `${url}/realms/${realm}`. */
  issuer(realm: string): string;
  /** POSTs a form to a realm's token endpoint; throws with Keycloak's answer unless 200. */
  token(realm: string, form: Record<string, string>): Promise<TokenSet>;
  /** Password grant. */
  password(realm: string, client: { id: string; secret?: string }, username: string, password: string): Promise<TokenSet>;
  /** Client-credentials grant (service account). */
  clientCredentials(realm: string, clientId: string, secret: string): Promise<TokenSet>;
  /** Calls the admin REST API (`/admin/realms/...`) as the bootstrap admin; returns the parsed JSON or undefined. */
  admin(method: string, path: string, body?: unknown): Promise<unknown>;
  /** The internal id of a realm's client. */
  clientUuid(realm: string, clientId: string): Promise<string>;
  /** The internal id of a realm's user. */
  userId(realm: string, username: string): Promise<string>;
  /** The last lines of Keycloak's log (for failure messages). */
  logTail(): string;
}

let shared: Promise<RealKeycloak> | undefined;

/**
 * The real Keycloak with `realm` imported, waiting (bounded) for its readiness; skips loudly when the suite runs
 * without one (fails under E2E_REQUIRED=1).
 */
export async function realKeycloak(t: TestContext, ...realms: string[]): Promise<RealKeycloak | undefined> {
  const url = process.env['KEYGATE_TEST_KEYCLOAK'];
  if (url === undefined) {
    skipLoudly(t, 'no real Keycloak: run the suite with `npm test` or `npm run test:real` after `bash scripts/real-systems.sh`');
    return undefined;
  }
  shared ??= connect(url);
  const kc = await shared;
  for (const r of realms) await ensureRealm(kc, r);
  return kc;
}

async function connect(url: string): Promise<RealKeycloak> {
  const management = process.env['KEYGATE_TEST_KEYCLOAK_MANAGEMENT'];
  const adminPassword = process.env['KEYGATE_TEST_KEYCLOAK_ADMIN_PASSWORD'] ?? 'admin';
  const logFile = process.env['KEYGATE_TEST_KEYCLOAK_LOG'];
  const logTail = (): string => (logFile !== undefined && existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n') : '(no log)');
  await waitReady(management !== undefined ? `${management}/health/ready` : `${url}/realms/master/.well-known/openid-configuration`, logTail);

  let adminToken: { value: string; until: number } | undefined;
  const token = async (realm: string, form: Record<string, string>): Promise<TokenSet> => {
    const res = await fetch(`${url}/realms/${realm}/protocol/openid-connect/token`, { method: 'POST', body: new URLSearchParams(form), signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`Keycloak token endpoint (${realm}, ${form['grant_type']}) answered ${res.status}: ${text}`);
    return JSON.parse(text) as TokenSet;
  };
  const bearer = async (): Promise<string> => {
    if (adminToken === undefined || adminToken.until < Date.now()) {
      const t = await token('master', { grant_type: 'password', client_id: 'admin-cli', username: 'admin', password: adminPassword });
      adminToken = { value: t.access_token, until: Date.now() + (t.expires_in - 10) * 1000 };
    }
    return adminToken.value;
  };
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}/admin/realms${path}`, {
      method,
      headers: { authorization: `Bearer ${await bearer()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status >= 300) throw new AdminError(method, path, res.status, text);
    return text === '' ? undefined : JSON.parse(text) as unknown;
  };
  const one = async (path: string, what: string): Promise<string> => {
    const list = await admin('GET', path) as Array<{ id: string }>;
    const first = list[0];
    if (first === undefined) throw new Error(`Keycloak has no ${what}`);
    return first.id;
  };
  return {
    url,
    issuer: (realm) => `${url}/realms/${realm}`,
    token,
    password: (realm, client, username, password) => token(realm, { grant_type: 'password', client_id: client.id, ...(client.secret !== undefined ? { client_secret: client.secret } : {}), username, password, scope: 'openid' }),
    clientCredentials: (realm, clientId, secret) => token(realm, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
    admin,
    clientUuid: (realm, clientId) => one(`/${realm}/clients?clientId=${encodeURIComponent(clientId)}`, `client ${clientId} in ${realm}`),
    userId: (realm, username) => one(`/${realm}/users?exact=true&username=${encodeURIComponent(username)}`, `user ${username} in ${realm}`),
    logTail,
  };
}

/** An admin REST API call that did not succeed. */
export class AdminError extends Error {
  constructor(readonly method: string, readonly path: string, readonly status: number, readonly body: string) {
    super(`Keycloak admin ${method} ${path} answered ${status}: ${body.slice(0, 500)}`);
  }
}

async function waitReady(url: string, logTail: () => string): Promise<void> {
  // First boot after unpacking re-augments (~25 s) and imports every realm; 2 cores can take minutes under load.
  const deadline = Date.now() + 300_000;
  let last = '';
  const exited = process.env['KEYGATE_TEST_KEYCLOAK_LOG'] !== undefined ? `${process.env['KEYGATE_TEST_KEYCLOAK_LOG']}.exited` : undefined;
  while (Date.now() < deadline) {
    if (exited !== undefined && existsSync(exited)) throw new Error(`real Keycloak stopped before it was ready (${readFileSync(exited, 'utf8')})\n${logTail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`real Keycloak not ready at ${url} after 300 s (${last})\n${logTail()}`);
}

/** Imports the realm through the admin API when the running Keycloak lacks it (a Keycloak started by hand). */
async function ensureRealm(kc: RealKeycloak, realm: string): Promise<void> {
  try {
    await kc.admin('GET', `/${realm}`);
    return;
  } catch (err) {
    if (!(err instanceof AdminError) || err.status !== 404) throw err;
  }
  const file = realmFiles().find((f) => f.realm === realm);
  if (file === undefined) throw new Error(`no realm export defines realm ${realm}`);
  await kc.admin('POST', '', JSON.parse(readFileSync(file.path, 'utf8')));
}

/** The decoded payload of a JWT (for assertions on what Keycloak issued; never used for decisions). */
export function jwtPayload(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
