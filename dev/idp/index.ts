/** The Keycloak look-alike IdP for integration tests and `keygate dev`. */

export { startKeycloakLookalike } from './lookalike.js';
export { DevIdpError, type DevIdpErrorCode } from './errors.js';
export { isLoopbackHost } from './loopback.js';
export { BACKCHANNEL_LOGOUT_EVENT } from './mint.js';
export { INVALID_CREDENTIALS } from './login.js';
export {
  DEMO_ALICE, DEMO_BOB, DEMO_CAROL, DEMO_CI_READER, DEMO_CI_RUNNER, DEMO_POST_LOGOUT_REDIRECT_URIS, DEMO_REDIRECT_URIS,
  DEMO_USERS, demoKeygateClient, type KeygateClientSettings,
} from './demo-realm.js';
export type {
  BackchannelDelivery, ClaimOverrides, ClientRoles, EndSessionsResult, KeycloakLookalike, KeycloakLookalikeOptions,
  LogoutTokenClaims, LookalikeClient, LookalikeUser, MintOptions, PublicJwk, ServiceAccountRoles, UserRolesUpdate,
} from './types.js';
