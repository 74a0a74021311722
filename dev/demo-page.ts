/**
 * The HTML page of the `keygate dev` demo app: the identity headers the app received, and a link or button for every
 * scenario (issue 16 point 6): allowed, forbidden (keygate's 403 page), API 401 and 403 (JSON, no redirect), sign out.
 */

/** The identity headers the demo shows. */
export const SHOWN = ['x-auth-user', 'x-auth-email', 'x-auth-subject', 'x-auth-name', 'x-auth-roles', 'x-auth-groups'] as const;

/** HTML-escapes text for element content and quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The scenarios, each with what examples/demo/policy.yaml answers. The API ones are `fetch` calls (a link would be a
 * navigation, which keygate answers with a sign-in redirect, never a 401): `credentials: 'omit'` sends no cookie.
 */
const SCENARIOS = `<h2>Try each scenario</h2><ul>
<li>Allowed: <a id="scenario-allowed" href="/api/flows">/api/flows</a> (rule demo-api-read: any demo role)</li>
<li>Forbidden: <a id="scenario-forbidden" href="/admin/">/admin/</a> (rule demo-admin: role admin; alice and bob get keygate's 403 page, carol gets in)</li>
<li>API 401: <button id="scenario-api-401" data-method="GET" data-credentials="omit">GET /api/flows without credentials</button> (JSON, never a redirect)</li>
<li>API 403: <button id="scenario-api-403" data-method="POST" data-credentials="same-origin">POST /api/flows with this session</button> (rule demo-api-write: engineer or admin)</li>
<li>Sign out: <a id="scenario-logout" href="/_keygate/logout?rd=/">/_keygate/logout?rd=/</a> (ends the session at the identity provider too)</li>
</ul><pre id="scenario-result"></pre>
<script>
for (const b of document.querySelectorAll('button[data-method]')) b.addEventListener('click', async () => {
  const out = document.getElementById('scenario-result');
  const r = await fetch('/api/flows', { method: b.dataset.method, credentials: b.dataset.credentials, headers: { accept: 'application/json' } });
  out.textContent = b.dataset.method + ' /api/flows → ' + r.status + '\\n' + (r.headers.get('www-authenticate') ?? '') + '\\n' + await r.text();
  out.dataset.status = String(r.status);
});
</script>`;

/** The page for one request: method and URL, the identity headers received, and the scenarios. */
export function demoPage(method: string, url: string, identity: Readonly<Record<string, string>>): string {
  const rows = SHOWN.map((h) => `<tr><th>${h}</th><td id="${h}">${escapeHtml(identity[h] ?? '')}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>keygate demo app</title></head><body><h1>keygate demo app</h1>`
    + `<p>${escapeHtml(method)} ${escapeHtml(url)}</p><table>${rows}</table>${SCENARIOS}</body></html>`;
}
