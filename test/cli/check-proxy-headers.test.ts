/** `keygate check` on rules' upstream headers (issue 13): the proxy lines to add, a warning per proxy file that misses one, secrets read. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkCommand } from '../../src/cli/check.js';
import { explainCommand } from '../../src/cli/explain.js';
import { mentions } from '../../src/cli/proxy-headers.js';
import { captureIo, tempFiles } from './support.js';

const policy = (secretFile: string): string => `version: 1
rules:
  - name: prefect
    hosts: [prefect.example.com]
    allow: authenticated
    headers:
      Authorization: { file: ${JSON.stringify(secretFile)}, prefix: "Basic ", base64: true }
      X-Auth-Tenant: { claim: tenant }
`;

const TRAEFIK_OK = 'http:\n  middlewares:\n    keygate:\n      forwardAuth:\n        authResponseHeaders: [X-Auth-User, Authorization, X-Auth-Tenant]\n';
const TRAEFIK_MISSING = 'http:\n  middlewares:\n    keygate:\n      forwardAuth:\n        authResponseHeaders:\n          - X-Auth-User\n          - Authorization\n';

describe('keygate check: upstream headers', () => {
  it('prints the exact Traefik, Caddy and ingress-nginx lines', async () => {
    const dir = tempFiles({ secret: 'admin:pw\n' });
    const files = tempFiles({ 'policy.yaml': policy(join(dir, 'secret')) });
    const io = captureIo();
    assert.equal(await checkCommand(['--policy', join(files, 'policy.yaml')], io), 0, io.err());
    assert.equal(io.out(), [
      'rules add upstream headers: Authorization, X-Auth-Tenant; the proxy passes them on only when told to:',
      '  Traefik (forwardAuth middleware), add to authResponseHeaders: [Authorization, X-Auth-Tenant]',
      '  Caddy (forward_auth), add: copy_headers Authorization X-Auth-Tenant',
      '  ingress-nginx, add to the annotation: nginx.ingress.kubernetes.io/auth-response-headers: "Authorization,X-Auth-Tenant"',
      'policy OK: 1 rule',
      '',
    ].join('\n'));
    assert.ok(!io.out().includes('admin:pw') && !io.err().includes('admin:pw'));
  });

  const table: { name: string; input: string; want: string[] }[] = [
    { name: 'a Traefik file naming both', input: TRAEFIK_OK, want: [] },
    { name: 'a Traefik file missing one', input: TRAEFIK_MISSING, want: ['X-Auth-Tenant'] },
    { name: 'a Caddyfile missing both', input: 'forward_auth keygate:8080 {\n  uri /auth\n  copy_headers X-Auth-User\n}\n', want: ['Authorization', 'X-Auth-Tenant'] },
    { name: 'an nginx file using $upstream_http_', input: 'auth_request_set $t $upstream_http_x_auth_tenant;\nauth_request_set $a $upstream_http_authorization;\n', want: [] },
    { name: 'a longer name does not count (X-Auth-Tenant-Id)', input: 'authResponseHeaders: [Authorization, X-Auth-Tenant-Id]\n', want: ['X-Auth-Tenant'] },
  ];
  for (const { name, input, want } of table) {
    it(`--proxy: ${name}`, async () => {
      const dir = tempFiles({ secret: 'admin:pw\n', 'policy.yaml': '', 'proxy.conf': input });
      const files = tempFiles({ 'policy.yaml': policy(join(dir, 'secret')) });
      const io = captureIo();
      assert.equal(await checkCommand(['--policy', join(files, 'policy.yaml'), '--proxy', join(dir, 'proxy.conf')], io), 0);
      const warned = io.err().split('\n').filter((l) => l.startsWith('warning:')).map((l) => /does not name (\S+),/.exec(l)?.[1]);
      assert.deepEqual(warned, want);
    });
  }

  it('a missing secret file fails the check at its header', async () => {
    const files = tempFiles({ 'policy.yaml': policy('/nonexistent/keygate-secret') });
    const io = captureIo();
    assert.equal(await checkCommand(['--policy', join(files, 'policy.yaml')], io), 1);
    assert.match(io.err(), /policy\.yaml:7:22: rules\[0\] "prefect": headers\.Authorization: cannot read the secret file \/nonexistent\/keygate-secret: ENOENT/);
  });

  it('explain names the headers and their sources, never a secret', async () => {
    const dir = tempFiles({ secret: 'admin:pw\n' });
    const files = tempFiles({ 'policy.yaml': policy(join(dir, 'secret')) });
    const io = captureIo();
    assert.equal(await explainCommand(['--policy', join(files, 'policy.yaml'), '--method', 'GET', '--url', 'https://prefect.example.com/', '--user', 'alice'], io), 0);
    assert.match(io.out(), new RegExp(`upstream headers: Authorization: secret from file ${join(dir, 'secret').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(base64\\), prefixed "Basic "; X-Auth-Tenant from claim tenant\n`));
    assert.ok(!io.out().includes('admin:pw'));
  });

  it('mentions: whole names only, any case', () => {
    assert.equal(mentions('copy_headers x-auth-tenant', 'X-Auth-Tenant'), true);
    assert.equal(mentions('X-Auth-Tenants', 'X-Auth-Tenant'), false);
  });
});
