/**
 * The Prefect example end to end: real Keycloak (realm `prefect` from examples/prefect/realm.json), keygate with
 * examples/prefect/policy.yaml, real `prefect server start` and real Traefik with examples/prefect/traefik/*.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createSessionModule } from '../../src/session/module.js';
import { startKeygate, type TestKeygate } from './keygate.js';
import { realKeycloak, type RealKeycloak } from './keycloak.js';
import { freePort } from './proc.js';
import { ROOT } from './proxies.js';
import { requireReal } from './real-systems.js';
import { PREFECT_HOST, startExampleTraefik, startPrefect, type ExampleTraefik, type PrefectServer } from './prefect.js';

/** The example's realm, its keygate client and the demo users' passwords (examples/prefect/realm.json). */
export const REALM = 'prefect';
export const KEYGATE_CLIENT = { id: 'keygate', secret: 'prefect-keygate-secret-change-me' } as const;
export const USERS = { alice: 'alice-demo-password', bob: 'bob-demo-password', carol: 'carol-demo-password' } as const;

/** Everything a Prefect end-to-end test talks to. */
export interface PrefectStack {
  readonly prefectBin: string;
  readonly kc: RealKeycloak;
  readonly kg: TestKeygate;
  readonly prefect: PrefectServer;
  readonly traefik: ExampleTraefik;
  /** `${traefik.origin}/api`: PREFECT_API_URL for clients going through Traefik and keygate. */
  readonly api: string;
  /** Keycloak access tokens (password grant through the keygate client) of alice, bob and carol. */
  readonly tokens: Readonly<Record<keyof typeof USERS, string>>;
  stop(): Promise<void>;
}

/** What a scenario changes: Prefect's and keygate's environment, and whether Prefect runs its services. */
export interface StackOptions {
  readonly prefectEnv?: Record<string, string>;
  readonly keygateEnv?: Record<string, string>;
  readonly services?: boolean;
  /** Traefik's environment (PREFECT_API_AUTH_BASIC for the prefect-auth middleware). */
  readonly traefikEnv?: Record<string, string>;
}

/**
 * Brings the running Keycloak's `prefect` realm up to examples/prefect/realm.json: clients, roles and users missing
 * from it are added (partial import, existing ones skipped). A Keycloak booted with the file already has them.
 */
export async function syncRealm(kc: RealKeycloak): Promise<void> {
  const rep = JSON.parse(readFileSync(join(ROOT, 'examples/prefect/realm.json'), 'utf8')) as Record<string, unknown>;
  await kc.admin('POST', `/${REALM}/partialImport`, { ifResourceExists: 'SKIP', clients: rep['clients'], roles: rep['roles'], groups: rep['groups'], users: rep['users'] });
}

/**
 * Test-only changes to the keygate client, undone by the returned function: direct access grants (password-grant
 * tokens for the CLI; off in the shipped file) and the callback URL with the test's port.
 */
export async function openKeygateClient(kc: RealKeycloak, origin: string): Promise<() => Promise<void>> {
  const id = await kc.clientUuid(REALM, KEYGATE_CLIENT.id);
  const before = await kc.admin('GET', `/${REALM}/clients/${id}`) as Record<string, unknown>;
  const redirects = Array.isArray(before['redirectUris']) ? before['redirectUris'] as string[] : [];
  await kc.admin('PUT', `/${REALM}/clients/${id}`, { ...before, directAccessGrantsEnabled: true, redirectUris: [...redirects, `${origin}/_keygate/callback`] });
  return async () => { await kc.admin('PUT', `/${REALM}/clients/${id}`, before); };
}

/** Starts the whole example; undefined (after a loud skip) when a real program is missing. */
export async function prefectStack(t: TestContext, opts: StackOptions = {}): Promise<PrefectStack | undefined> {
  const prefectBin = requireReal(t, 'prefect');
  const traefikBin = requireReal(t, 'traefik');
  const kc = await realKeycloak(t, REALM);
  if (prefectBin === undefined || traefikBin === undefined || kc === undefined) return undefined;
  await syncRealm(kc);
  const port = await freePort();
  const origin = `http://${PREFECT_HOST}:${port}`;
  const stops: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    stops.push(await openKeygateClient(kc, origin));
    const kg = await startKeygate(kc.issuer(REALM), readFileSync(join(ROOT, 'examples/prefect/policy.yaml'), 'utf8'), {
      env: {
        KEYGATE_CLIENT_SECRET: KEYGATE_CLIENT.secret,
        KEYGATE_AUTHORIZED_PARTIES: 'keygate,prefect-worker',
        KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32',
        KEYGATE_LOG_LEVEL: 'info',
        ...opts.keygateEnv,
      },
      service: { sessions: createSessionModule },
    });
    stops.push(() => kg.close());
    const prefect = await startPrefect(prefectBin, { PREFECT_UI_API_URL: `${origin}/api`, ...opts.prefectEnv }, { services: opts.services === true });
    stops.push(() => prefect.stop());
    const traefik = await startExampleTraefik(traefikBin, { keygate: kg.url, prefect: prefect.url, keycloak: kc.url }, port, opts.traefikEnv);
    stops.push(() => traefik.stop());
    const tokens = {
      alice: (await kc.password(REALM, KEYGATE_CLIENT, 'alice', USERS.alice)).access_token,
      bob: (await kc.password(REALM, KEYGATE_CLIENT, 'bob', USERS.bob)).access_token,
      carol: (await kc.password(REALM, KEYGATE_CLIENT, 'carol', USERS.carol)).access_token,
    };
    return { prefectBin, kc, kg, prefect, traefik, api: `${origin}/api`, tokens, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** PREFECT_CLIENT_CUSTOM_HEADERS carrying a bearer token: Prefect's client sends it on HTTP and websocket upgrades. */
export function bearerHeaders(token: string): Record<string, string> {
  return { PREFECT_CLIENT_CUSTOM_HEADERS: JSON.stringify({ Authorization: `Bearer ${token}` }) };
}
