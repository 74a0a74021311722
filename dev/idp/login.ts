/** The login-actions endpoint: Keycloak's username/password form, driving oidc-provider interactions. */

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Interaction, Provider } from 'oidc-provider';

import { readForm, sendHtml } from './http-util.js';
import { errorPage, loginPage } from './pages.js';
import type { Realm } from './realm.js';

/** Keycloak's message for a wrong username or password. */
export const INVALID_CREDENTIALS = 'Invalid username or password.';

/** Keycloak's message when the login step is unknown or expired. */
const EXPIRED = 'Your login attempt timed out. Login will start from the beginning.';

/** Finishes a consent prompt by granting what it lists as missing (there is no consent screen). */
async function autoConsent(provider: Provider, interaction: Interaction): Promise<string> {
  const accountId = interaction.session?.accountId;
  const clientId = interaction.params.client_id;
  if (accountId === undefined || typeof clientId !== 'string') throw new Error('consent prompt without a login');
  const existing = interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const { details } = interaction.prompt;
  const stringList = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  grant.addOIDCScope(stringList(details.missingOIDCScope));
  grant.addOIDCClaims(stringList(details.missingOIDCClaims));
  const resources = details.missingResourceScopes;
  if (typeof resources === 'object' && resources !== null) {
    for (const [indicator, scopes] of Object.entries(resources)) grant.addResourceScope(indicator, stringList(scopes));
  }
  return grant.save();
}

/** Serves GET (form) and POST (credentials) on `/realms/<realm>/login-actions/authenticate`. */
export async function handleLoginActions(
  req: IncomingMessage, res: ServerResponse, provider: Provider, realm: Realm,
): Promise<void> {
  let interaction: Interaction;
  try {
    interaction = await provider.interactionDetails(req, res);
  } catch {
    // No (or an expired) interaction cookie: Keycloak shows an error page, not the form.
    sendHtml(res, 400, errorPage(realm.name, EXPIRED));
    return;
  }
  const url = new URL(req.url ?? '/', 'http://lookalike.invalid');
  if (url.searchParams.get('session_code') !== interaction.uid) {
    sendHtml(res, 400, errorPage(realm.name, EXPIRED));
    return;
  }
  if (interaction.prompt.name === 'consent') {
    const grantId = await autoConsent(provider, interaction);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  const action = `${url.pathname}${url.search}`;
  if (req.method !== 'POST') {
    sendHtml(res, 200, loginPage({ realm: realm.name, action }));
    return;
  }
  const form = await readForm(req);
  const username = form.get('username') ?? '';
  const user = realm.authenticate(username, form.get('password') ?? '');
  if (user === undefined) {
    sendHtml(res, 200, loginPage({ realm: realm.name, action, username, error: INVALID_CREDENTIALS }));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
}
