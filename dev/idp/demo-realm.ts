/** The sample realm shared by `keygate dev` and the tests: alice the viewer, bob the engineer, carol the admin. */

import type { LookalikeClient, LookalikeUser } from './types.js';

/** alice: viewer in /data/team-a. */
export const DEMO_ALICE: LookalikeUser = {
  username: 'alice',
  password: 'alice',
  email: 'alice@example.com',
  name: 'Alice Viewer',
  realmRoles: ['viewer'],
  groups: ['/data/team-a'],
};

/** bob: engineer and viewer, Prefect operator, in /data/team-b. */
export const DEMO_BOB: LookalikeUser = {
  username: 'bob',
  password: 'bob',
  email: 'bob@example.com',
  name: 'Bob Engineer',
  realmRoles: ['engineer', 'viewer'],
  clientRoles: { prefect: ['operator'] },
  groups: ['/data/team-b'],
};

/** carol: admin in /platform/admins. */
export const DEMO_CAROL: LookalikeUser = {
  username: 'carol',
  password: 'carol',
  email: 'carol@example.com',
  name: 'Carol Admin',
  realmRoles: ['admin'],
  groups: ['/platform/admins'],
};

/** The sample users. */
export const DEMO_USERS: readonly LookalikeUser[] = [DEMO_ALICE, DEMO_BOB, DEMO_CAROL];

/** Service account `ci-runner` (client_credentials): realm role engineer. */
export const DEMO_CI_RUNNER: LookalikeClient = {
  clientId: 'ci-runner',
  secret: 'ci-runner-secret',
  serviceAccountRoles: { realmRoles: ['engineer'] },
};

/** Service account `ci-reader` (client_credentials): realm role viewer. */
export const DEMO_CI_READER: LookalikeClient = {
  clientId: 'ci-reader',
  secret: 'ci-reader-secret',
  serviceAccountRoles: { realmRoles: ['viewer'] },
};

/** keygate's callback on any loopback or `*.localhost` origin. */
export const DEMO_REDIRECT_URIS: readonly string[] = [
  'http://127.0.0.1:*/_keygate/callback',
  'http://localhost:*/_keygate/callback',
  'http://*.localhost:*/_keygate/callback',
];

/** Any page on a loopback or `*.localhost` origin. */
export const DEMO_POST_LOGOUT_REDIRECT_URIS: readonly string[] = [
  'http://127.0.0.1:*/*',
  'http://localhost:*/*',
  'http://*.localhost:*/*',
];

/** Settings of the confidential `keygate` client; omitted ones take the demo defaults. */
export interface KeygateClientSettings {
  readonly clientId?: string;
  readonly secret?: string;
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly backchannelLogoutUri?: string;
}

/** The confidential `keygate` client (secret `keygate-secret`). */
export function demoKeygateClient(settings: KeygateClientSettings = {}): LookalikeClient {
  return {
    clientId: settings.clientId ?? 'keygate',
    secret: settings.secret ?? 'keygate-secret',
    redirectUris: settings.redirectUris ?? DEMO_REDIRECT_URIS,
    postLogoutRedirectUris: settings.postLogoutRedirectUris ?? DEMO_POST_LOGOUT_REDIRECT_URIS,
    ...(settings.backchannelLogoutUri === undefined ? {} : { backchannelLogoutUri: settings.backchannelLogoutUri }),
  };
}
