/** Identity and upstream header values made header-safe: printable ASCII, list items that cannot split (issue #12). */

/** Header-safe value: printable ASCII kept; anything else (non-ASCII, control characters) percent-encoded as UTF-8. */
export function headerValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(value) ? value : value.replace(/[^\x20-\x7e]+/g, (s) => encodeURIComponent(s));
}

/**
 * A list header value (roles, groups): items joined with `,`, each item percent-encoded (UTF-8) so that no item can
 * contain the separator (issue #12): `%`, `,`, a leading or trailing space, and every character outside printable
 * ASCII become `%XX`; everything else is kept. A reader splits on `,`, then percent-decodes each item: a role named
 * `a,prefect-admin` arrives as `a%2Cprefect-admin`, never as two roles.
 */
export function headerListValue(items: readonly string[]): string {
  let out = '';
  for (let i = 0; i < items.length; i++) out += (i === 0 ? '' : ',') + listItem(items[i] ?? '');
  return out;
}

function listItem(item: string): string {
  // The common case (a plain Keycloak role or group path) is returned as is.
  // eslint-disable-next-line no-control-regex
  if (/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(item) && !/[%,]/.test(item)) return item;
  let out = '';
  for (let i = 0; i < item.length; i++) {
    const ch = item[i] ?? '';
    const code = ch.charCodeAt(0);
    const edgeSpace = code === 0x20 && (i === 0 || i === item.length - 1);
    if (ch === '%' || ch === ',' || edgeSpace || code < 0x20 || code === 0x7f) out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code > 0x7e) {
      // A whole code point (surrogate pairs stay together); a lone surrogate becomes U+FFFD, as TextEncoder does.
      const cp = item.codePointAt(i) ?? 0xfffd;
      if (cp > 0xffff) i++;
      out += encodeURIComponent(String.fromCodePoint(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp));
    } else out += ch;
  }
  return out;
}
