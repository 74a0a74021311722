/** Ending IdP sessions: RP-initiated logout without a confirmation page, and the endSessions control. */

import type { CookiesSetOptions, KoaContextWithOIDC } from 'oidc-provider';

import { mintLogoutToken } from './mint.js';
import type { LookalikeState } from './provider.js';
import type { RealmUser } from './realm.js';
import type { BackchannelDelivery, EndSessionsResult } from './types.js';

const BACKCHANNEL_TIMEOUT_MS = 5000;

/** One client's part of a session, as oidc-provider stores it. */
interface Authorization {
  readonly clientId: string;
  readonly sid: string | undefined;
  readonly grantId: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function authorizationsOf(raw: unknown): Authorization[] {
  if (!isRecord(raw)) return [];
  return Object.entries(raw).map(([clientId, value]) => {
    const record = isRecord(value) ? value : {};
    return {
      clientId,
      sid: typeof record.sid === 'string' ? record.sid : undefined,
      grantId: typeof record.grantId === 'string' ? record.grantId : undefined,
    };
  });
}

/** POSTs a back-channel logout token to a client (OpenID Connect Back-Channel Logout 1.0 §2.5). */
async function deliverBackchannel(
  state: LookalikeState, uri: string, clientId: string, sub: string, sid: string | undefined,
): Promise<BackchannelDelivery> {
  try {
    const logoutToken = await mintLogoutToken(state, { aud: clientId, sub, ...(sid === undefined ? {} : { sid }) });
    const response = await fetch(uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: logoutToken }),
      redirect: 'manual',
      signal: AbortSignal.timeout(BACKCHANNEL_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return { clientId, sid, status: response.status };
  } catch (error) {
    return { clientId, sid, status: undefined, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Ends every session and grant of a user, telling clients with a back-channel logout URI. */
export async function endUserSessions(state: LookalikeState, user: RealmUser): Promise<EndSessionsResult> {
  const deliveries: Promise<BackchannelDelivery>[] = [];
  let sessions = 0;
  let grants = 0;
  for (const session of state.store.list('Session')) {
    if (session.payload.accountId !== user.id) continue;
    sessions += 1;
    for (const { clientId, sid } of authorizationsOf(session.payload.authorizations)) {
      if (sid !== undefined) state.endedSids.add(sid);
      const uri = state.realm.findClient(clientId)?.backchannelLogoutUri;
      if (uri !== undefined) deliveries.push(deliverBackchannel(state, uri, clientId, user.id, sid));
    }
    state.store.delete('Session', session.id);
  }
  // Every grant of the user, also those that outlive sessions (offline_access): refresh must fail.
  for (const grant of state.store.list('Grant')) {
    if (grant.payload.accountId !== user.id) continue;
    state.store.revokeGrant(grant.id);
    grants += 1;
  }
  return { sessions, grants, backchannel: await Promise.all(deliveries) };
}

/**
 * The rpInitiatedLogout.logoutSource: instead of rendering oidc-provider's confirmation form, end the
 * session at once and redirect, as Keycloak does for a logout with id_token_hint. oidc-provider has
 * already validated id_token_hint / client_id and post_logout_redirect_uri when this runs.
 */
export function makeLogoutSource(
  state: LookalikeState, cookieOptions: CookiesSetOptions,
): (ctx: KoaContextWithOIDC, form: string) => Promise<void> {
  return async (ctx) => {
    const { session, provider } = ctx.oidc;
    if (session === undefined) throw new Error('invariant: logoutSource runs with a session');
    const sessionState = session.state ?? {};
    const accountId = session.accountId;
    const backchannel: Promise<unknown>[] = [];
    for (const { clientId, sid, grantId } of authorizationsOf(session.authorizations)) {
      if (sid !== undefined) state.endedSids.add(sid);
      const uri = state.realm.findClient(clientId)?.backchannelLogoutUri;
      if (uri !== undefined && accountId !== undefined) {
        backchannel.push(deliverBackchannel(state, uri, clientId, accountId, sid));
      }
      if (grantId !== undefined) state.store.revokeGrant(grantId);
    }
    await Promise.all(backchannel);
    await session.destroy();
    ctx.cookies.set(provider.cookieName('session'), null, cookieOptions);

    const target = sessionState.postLogoutRedirectUri;
    let location = ctx.oidc.urlFor('end_session_success');
    if (typeof target === 'string') {
      const url = new URL(target);
      if (typeof sessionState.state === 'string') url.searchParams.set('state', sessionState.state);
      location = url.href;
    }
    ctx.status = 303;
    ctx.redirect(location);
  };
}
