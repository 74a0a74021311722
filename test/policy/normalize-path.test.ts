import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath, type NormalizedPath } from '../../src/policy/normalize-path.js';

const ok = (path: string): NormalizedPath => ({ ok: true, path });
const bad = (detail: string): NormalizedPath => ({ ok: false, detail });

describe('normalizePath', () => {
  const table: { name: string; input: string; want: NormalizedPath }[] = [
    { name: 'the root', input: '/', want: ok('/') },
    { name: 'a clean path is kept as is', input: '/api/v1/items', want: ok('/api/v1/items') },
    { name: 'a trailing slash is kept', input: '/api/', want: ok('/api/') },
    { name: 'dot files are not dot segments', input: '/.well-known/openid-configuration', want: ok('/.well-known/openid-configuration') },
    { name: 'three dots end in a dot (Windows strips them): refused', input: '/a/.../b', want: bad('segment "..." ends with ".": servers that strip trailing dots would read another path') },
    { name: '"//" collapses', input: '/a//b///c', want: ok('/a/b/c') },
    { name: 'a leading "//" collapses', input: '//a', want: ok('/a') },
    { name: '"." segments go', input: '/a/./b/.', want: ok('/a/b/') },
    { name: '".." resolves', input: '/a/b/../c', want: ok('/a/c') },
    { name: 'a final ".." keeps the directory slash', input: '/a/b/..', want: ok('/a/') },
    { name: '".." to the root', input: '/a/..', want: ok('/') },
    { name: 'percent-encoding is decoded', input: '/caf%C3%A9/%7Euser', want: ok('/café/~user') },
    { name: 'lower-case escapes are decoded', input: '/%61pi', want: ok('/api') },
    { name: 'encoded dots are dot segments', input: '/a/%2e%2E/b', want: ok('/b') },
    { name: 'an encoded percent alone is decoded once', input: '/100%25/b', want: ok('/100%/b') },
    { name: 'an encoded percent before hex digits is double encoding: refused', input: '/a%252Fb', want: bad('double-encoded "%252F" at offset 2: an upstream that decodes twice would read another path') },
    { name: 'a path parameter on any segment is refused (issue #12)', input: '/a;jsessionid=1/b', want: bad('path parameter ";" in segment "a;jsessionid=1": upstreams that strip path parameters (Java servlet containers) would read another path') },
    { name: 'raw non-ASCII is kept', input: '/naïve', want: ok('/naïve') },
    { name: 'must start with a slash', input: 'api/x', want: bad('path must start with "/", got "api/x"') },
    { name: 'the empty path', input: '', want: bad('path must start with "/", got ""') },
    { name: 'asterisk-form', input: '*', want: bad('path must start with "/", got "*"') },
    { name: 'a raw control character', input: '/a\u0007b', want: bad('control character 0x07 at offset 2') },
    { name: 'a raw DEL', input: '/a\u007f', want: bad('control character 0x7f at offset 2') },
    { name: 'an encoded control character', input: '/a%0Ab', want: bad('encoded control character "%0A" at offset 2') },
    { name: 'an encoded DEL', input: '/a%7f', want: bad('encoded control character "%7f" at offset 2') },
    { name: 'invalid UTF-8 (lone continuation byte)', input: '/%80', want: bad('percent-encoding does not decode to valid UTF-8') },
    { name: 'invalid UTF-8 (overlong slash)', input: '/%C0%AF', want: bad('percent-encoding does not decode to valid UTF-8') },
    { name: 'invalid UTF-8 (truncated sequence)', input: '/%E2%82', want: bad('percent-encoding does not decode to valid UTF-8') },
    { name: 'Tomcat path parameter on ".."', input: '/api/..;/admin', want: bad('ambiguous path parameter on dot segment "..;"') },
    { name: 'Tomcat path parameter on "."', input: '/api/.;x/admin', want: bad('ambiguous path parameter on dot segment ".;x"') },
    { name: 'an encoded path parameter on ".."', input: '/api/..%3B/admin', want: bad('ambiguous path parameter on dot segment "..;"') },
  ];
  for (const { name, input, want } of table) {
    it(name, () => assert.deepEqual(normalizePath(input), want));
  }

  it('returns the very string for clean paths (fast path, no copy)', () => {
    const raw = '/api/v1/namespaces/default/workflows';
    const r = normalizePath(raw);
    assert.ok(r.ok);
    assert.equal(r.path, raw);
  });

  it('is idempotent on its output', () => {
    for (const raw of ['/a//b/./c/../d/', '/%7Efoo/%2e/bar', '/x/y/..', '/caf%C3%A9']) {
      const once = normalizePath(raw);
      assert.ok(once.ok);
      // Decoding again would be wrong in general (%25); these outputs contain no "%".
      assert.deepEqual(normalizePath(once.path), once);
    }
  });
});
