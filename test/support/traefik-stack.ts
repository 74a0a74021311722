/**
 * keygate behind real Traefik (the shipped traefik/ files) in front of an app, against one realm of the real
 * Keycloak: the set-up the Traefik scenario files share, started once per file.
 */
import type { TestContext } from 'node:test';
import { startKeygate, type TestKeygate } from './keygate.js';
import { realKeycloak, type RealKeycloak } from './keycloak.js';
import { requireReal } from './real-systems.js';
import { startTraefik, type Traefik } from './traefik.js';

/** An app behind Traefik. */
export interface StackApp {
  readonly url: string;
  close(): Promise<void>;
}

/** The running stack. */
export interface TraefikStack<A extends StackApp> {
  readonly kc: RealKeycloak;
  readonly kg: TestKeygate;
  readonly app: A;
  readonly traefik: Traefik;
  /** A password-grant access token of a realm user (password `<user>-password`, client `keygate`). */
  token(user: string): Promise<string>;
}

/** Starts the stack at the first `ready(t)` (undefined when a real program is missing: a loud skip); `stop()` ends it. */
export function traefikStack<A extends StackApp>(opts: { readonly realm: string; readonly policy: string; readonly app: () => Promise<A> }): {
  ready(t: TestContext): Promise<TraefikStack<A> | undefined>;
  stop(): Promise<void>;
} {
  let setup: Promise<TraefikStack<A> | undefined> | undefined;
  let started: TraefikStack<A> | undefined;
  const start = async (t: TestContext): Promise<TraefikStack<A> | undefined> => {
    const bin = requireReal(t, 'traefik');
    const kc = await realKeycloak(t, opts.realm);
    if (bin === undefined || kc === undefined) return undefined;
    const kg = await startKeygate(kc.issuer(opts.realm), opts.policy, { env: { KEYGATE_TRUSTED_PROXIES: '127.0.0.1/32' } });
    const app = await opts.app();
    const traefik = await startTraefik(bin, { keygate: kg.url, app: app.url });
    const client = { id: 'keygate', secret: 'keygate-secret' };
    started = { kc, kg, app, traefik, token: async (user) => (await kc.password(opts.realm, client, user, `${user}-password`)).access_token };
    return started;
  };
  return {
    ready: (t) => (setup ??= start(t)),
    async stop() {
      await started?.traefik.stop();
      await started?.app.close();
      await started?.kg.close();
    },
  };
}
