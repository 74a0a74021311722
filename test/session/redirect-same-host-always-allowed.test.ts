import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeRedirect } from '../../src/session/redirects.js';

// A policy that names no hosts and no cookieDomain: only the same-host rule can allow anything (issue #12 point 2).
const NO_HOSTS = { hosts: [], cookieDomain: undefined };
const origin = 'https://app.example.com';

describe('safeRedirect: the host the request came to, from a trusted proxy, is always allowed', () => {
  const table: Array<{ name: string; input: { target: string; origin?: string; trusted: boolean }; want: string | undefined }> = [
    { name: 'absolute URL on the same host', input: { target: 'https://app.example.com/bye', trusted: true }, want: 'https://app.example.com/bye' },
    { name: 'a path on the same host', input: { target: '/bye?x=1', trusted: true }, want: 'https://app.example.com/bye?x=1' },
    { name: 'same host, other case', input: { target: 'https://APP.example.com/', trusted: true }, want: 'https://app.example.com/' },
    { name: 'same host, http (scheme is not the host)', input: { target: 'http://app.example.com/', trusted: true }, want: 'http://app.example.com/' },
    { name: 'origin with its default port', input: { target: 'https://app.example.com/', origin: 'https://app.example.com:443', trusted: true }, want: 'https://app.example.com/' },
    { name: 'same host, other port', input: { target: 'https://app.example.com:8443/', trusted: true }, want: undefined },
    { name: 'origin with a port, target without', input: { target: 'https://app.example.com/', origin: 'https://app.example.com:8443', trusted: true }, want: undefined },
    { name: 'a subdomain of the host', input: { target: 'https://x.app.example.com/', trusted: true }, want: undefined },
    { name: 'another host', input: { target: 'https://evil.example/', trusted: true }, want: undefined },
    { name: 'userinfo trick on the same host', input: { target: 'https://app.example.com@evil.example/', trusted: true }, want: undefined },
    { name: 'protocol-relative', input: { target: '//evil.example/', trusted: true }, want: undefined },
    { name: 'untrusted origin: same host refused', input: { target: 'https://app.example.com/bye', trusted: false }, want: undefined },
    { name: 'untrusted origin: a path refused', input: { target: '/bye', trusted: false }, want: undefined },
  ];
  for (const c of table) it(c.name, () => assert.equal(safeRedirect(c.input.target, c.input.origin ?? origin, NO_HOSTS, c.input.trusted), c.want));
});
