/** HTML pages shaped like Keycloak's login theme: the ids and names that browser tests select by. */

import { escapeHtml } from './http-util.js';

/** What the login page shows. */
export interface LoginPageModel {
  readonly realm: string;
  /** Form action (the same login-actions URL). */
  readonly action: string;
  /** Username to prefill after a failed attempt. */
  readonly username?: string;
  /** Error shown above the form, e.g. "Invalid username or password.". */
  readonly error?: string;
}

function layout(realm: string, title: string, content: string): string {
  return `<!DOCTYPE html>
<html class="login-pf" lang="en">
<head>
  <meta charset="utf-8">
  <meta name="robots" content="noindex, nofollow">
  <meta name="viewport" content="width=device-width,initial-scale=1">
  <title>${escapeHtml(title)}</title>
</head>
<body class="">
<div class="login-pf-page">
  <div id="kc-header" class="login-pf-page-header">
    <div id="kc-header-wrapper" class="">${escapeHtml(realm)}</div>
  </div>
  <div class="card-pf">
${content}
  </div>
</div>
</body>
</html>
`;
}

/** Keycloak's username/password form (`#kc-form-login`, `#username`, `#password`, `#kc-login`). */
export function loginPage(model: LoginPageModel): string {
  const error = model.error === undefined ? '' : `
      <div class="alert-error pf-c-alert pf-m-inline pf-m-danger">
        <span class="pf-c-alert__title kc-feedback-text">${escapeHtml(model.error)}</span>
      </div>`;
  const invalid = model.error === undefined ? '' : ' aria-invalid="true"';
  const content = `    <header class="login-pf-header">
      <h1 id="kc-page-title">Sign in to your account</h1>
    </header>
    <div id="kc-content">
      <div id="kc-content-wrapper">${error}
        <div id="kc-form">
          <div id="kc-form-wrapper">
            <form id="kc-form-login" onsubmit="login.disabled = true; return true;" action="${escapeHtml(model.action)}" method="post">
              <div class="form-group">
                <label for="username" class="pf-c-form__label pf-c-form__label-text">Username or email</label>
                <input tabindex="1" id="username" class="pf-c-form-control" name="username" value="${escapeHtml(model.username ?? '')}" type="text" autofocus autocomplete="username"${invalid}>${model.error === undefined ? '' : `
                <span id="input-error" class="pf-c-form__helper-text pf-m-error required kc-feedback-text" aria-live="polite">${escapeHtml(model.error)}</span>`}
              </div>
              <div class="form-group">
                <label for="password" class="pf-c-form__label pf-c-form__label-text">Password</label>
                <input tabindex="2" id="password" class="pf-c-form-control" name="password" type="password" autocomplete="current-password"${invalid}>
              </div>
              <div id="kc-form-buttons" class="form-group">
                <input type="hidden" id="id-hidden-input" name="credentialId">
                <input tabindex="4" class="pf-c-button pf-m-primary pf-m-block btn-lg" name="login" id="kc-login" type="submit" value="Sign In">
              </div>
            </form>
          </div>
        </div>
      </div>
    </div>`;
  return layout(model.realm, `Sign in to ${model.realm}`, content);
}

/** Keycloak's error page ("We are sorry..."). */
export function errorPage(realm: string, message: string): string {
  const content = `    <header class="login-pf-header">
      <h1 id="kc-page-title">We are sorry...</h1>
    </header>
    <div id="kc-content">
      <div id="kc-content-wrapper">
        <div id="kc-error-message">
          <p class="instruction">${escapeHtml(message)}</p>
        </div>
      </div>
    </div>`;
  return layout(realm, `Sign in to ${realm}`, content);
}

/** Keycloak's page after a logout without a redirect URI. */
export function loggedOutPage(realm: string): string {
  const content = `    <header class="login-pf-header">
      <h1 id="kc-page-title">You are logged out</h1>
    </header>`;
  return layout(realm, `Signing out`, content);
}
