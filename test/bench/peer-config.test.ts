/** The peers' configuration builders of issue 15 (bench/peer-config.ts) and the peer verdict: pure, no processes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { IDENTITY_HEADERS, apacheConfig, oauth2ProxyArgs, traefikDynamic, traefikStatic, type ApacheOptions } from '../../bench/peer-config.js';
import { cpuNote, peerVerdict } from '../../bench/peer-plan.js';
import { withPeerSection } from '../../bench/report.js';
import { mergeRuns, type WrkResult } from '../../bench/wrk.js';

const O2P = { port: 4180, issuer: 'http://127.0.0.1:9000/realms/demo', clientId: 'keygate', clientSecret: 's', cookieSecret: 'x'.repeat(32), role: 'bench-reader' };
const APACHE: ApacheOptions = { port: 8081, dir: '/tmp/a', modules: '/usr/lib/apache2/modules', jwksUri: 'https://127.0.0.1:9443/certs', role: 'bench-reader', passphrase: 'p', user: 'www-data', mpm: 'prefork' };
const TRAEFIK = { port: 8000, pingPort: 8001, dynamicFile: '/tmp/t/dynamic.yml', auth: 'http://127.0.0.1:4181', app: 'http://127.0.0.1:4200' };

describe('oauth2ProxyArgs', () => {
  const args = oauth2ProxyArgs(O2P);
  for (const { name, want } of [
    { name: 'verifies bearer JWTs', want: '--skip-jwt-bearer-tokens' },
    { name: 'the keycloak-oidc provider', want: '--provider=keycloak-oidc' },
    { name: 'the same issuer', want: '--oidc-issuer-url=http://127.0.0.1:9000/realms/demo' },
    { name: 'the role check', want: '--allowed-role=bench-reader' },
    { name: 'identity headers on the answer', want: '--set-xauthrequest' },
    { name: 'loopback only', want: '--http-address=127.0.0.1:4180' },
    { name: 'any email domain', want: '--email-domain=*' },
  ]) {
    it(name, () => assert.ok(args.includes(want), `${want} missing from ${args.join(' ')}`));
  }
});

describe('apacheConfig', () => {
  const conf = apacheConfig(APACHE);
  const lines = conf.split('\n').map((l) => l.trim());
  for (const { name, want } of [
    { name: 'own ServerRoot', want: 'ServerRoot "/tmp/a"' },
    { name: 'own PidFile', want: 'PidFile "/tmp/a/httpd.pid"' },
    { name: 'loopback listener', want: 'Listen 127.0.0.1:8081' },
    { name: 'resource-server auth', want: 'AuthType oauth20' },
    { name: 'the JWKS', want: 'OIDCOAuthVerifyJwksUri https://127.0.0.1:9443/certs' },
    { name: 'the role check', want: 'Require claim realm_access.roles:bench-reader' },
    { name: 'the chosen MPM', want: 'LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so' },
    { name: 'unlimited keep-alive requests, as keygate', want: 'MaxKeepAliveRequests 0' },
    { name: 'an identity header', want: 'Header always set X-Auth-User "%{OIDC_CLAIM_preferred_username}e"' },
  ]) {
    it(name, () => assert.ok(lines.includes(want), `${want} missing`));
  }
  it('a fixed set of children for either MPM (spare limits above the total)', () => {
    assert.match(apacheConfig({ ...APACHE, mpm: 'event' }), /StartServers 2\nServerLimit 2\nThreadsPerChild 32\nMaxRequestWorkers 64\nMinSpareThreads 1\nMaxSpareThreads 128\n/);
    assert.match(conf, /StartServers 64\nServerLimit 64\nMaxRequestWorkers 64\nMinSpareServers 1\nMaxSpareServers 128\n/);
  });
  it('loads one MPM only', () => assert.equal(conf.match(/mpm_\w+_module/g)?.length, 1));
});

describe('traefik configuration', () => {
  it('static: loopback entry points, the file provider, no access log', () => {
    const s = parse(traefikStatic(TRAEFIK)) as Record<string, unknown>;
    assert.deepEqual(s['entryPoints'], { web: { address: '127.0.0.1:8000', http: { aliasHeadersStrategy: 'delete' } }, internal: { address: '127.0.0.1:8001' } });
    assert.deepEqual(s['providers'], { file: { filename: '/tmp/t/dynamic.yml', watch: false } });
    assert.equal(s['accessLog'], undefined);
  });
  it('dynamic: forwardAuth to /auth as the shipped middleware sets it, then the app', () => {
    const d = parse(traefikDynamic(TRAEFIK)) as { http: { middlewares: { auth: { forwardAuth: Record<string, unknown> } }; services: unknown } };
    assert.deepEqual(d.http.middlewares.auth.forwardAuth, { address: 'http://127.0.0.1:4181/auth', trustForwardHeader: false, authResponseHeaders: [...IDENTITY_HEADERS], maxResponseBodySize: 65536 });
    assert.deepEqual(d.http.services, { app: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:4200' }] } } });
  });
});

describe('peerVerdict', () => {
  for (const { name, input, want } of [
    { name: 'ahead by the factor, p99 better', input: { ratio: 2.1, min: 2, kgP99: 1000, peerP99: 2000, p99: true }, want: 'PASS' },
    { name: 'ahead by the factor, p99 worse', input: { ratio: 2.1, min: 2, kgP99: 3000, peerP99: 2000, p99: true }, want: 'FAIL' },
    { name: 'p99 not asked', input: { ratio: 4.5, min: 4, kgP99: 3000, peerP99: 2000, p99: false }, want: 'PASS' },
    { name: 'short of the factor', input: { ratio: 3.47, min: 4, kgP99: 1000, peerP99: 2000, p99: false }, want: 'FAIL' },
  ]) {
    it(name, () => assert.equal(peerVerdict(input.ratio, input.min, input.kgP99, input.peerP99, input.p99), want));
  }
});

describe('mergeRuns keeps p99.9', () => {
  const run = (p999: number): WrkResult => ({
    requests: 10, duration_us: 1e6, p50_us: 1, p90_us: 2, p99_us: 3, p999_us: p999, max_us: 9, mean_us: 1, responses: 10, unexpected: 0, wrapped: 0, sent: 10,
    errors: { connect: 0, read: 0, write: 0, timeout: 0 }, statuses: { 200: 10 }, foreignCores: 0, serverUs: 1, serverUsEach: [1],
  });
  it('median of the runs', () => assert.equal(mergeRuns([run(5), run(7), run(100)]).p999_us, 7));
});

describe('withPeerSection', () => {
  const begin = '<!-- peers: this section is rewritten by a BENCH_ONLY run that includes a peer scenario (issue 15) -->';
  for (const { name, input, want } of [
    { name: 'appended when absent', input: '# r\n\n| full |\n', want: `# r\n\n| full |\n\n${begin}\nNEW\n<!-- /peers -->\n` },
    { name: 'replaced in place, the rest kept', input: `# r\n\n${begin}\nOLD\n<!-- /peers -->\ntail\n`, want: `# r\n\n${begin}\nNEW\n<!-- /peers -->\ntail\n` },
  ]) {
    it(name, () => assert.equal(withPeerSection(input, 'NEW\n'), want));
  }
});

describe('cpuNote', () => {
  const run = (requests: number, serverUs: number): WrkResult => ({
    requests, duration_us: 1e6, p50_us: 1, p90_us: 2, p99_us: 3, p999_us: 4, max_us: 9, mean_us: 1, responses: requests, unexpected: 0, wrapped: 0, sent: requests,
    errors: { connect: 0, read: 0, write: 0, timeout: 0 }, statuses: { 200: requests }, foreignCores: 0, serverUs, serverUsEach: [serverUs],
  });
  it('per answer and cores busy, both sides', () => {
    assert.equal(cpuNote({ a: run(40_000, 25), b: run(10_000, 150) }), 'CPU per answer 25.0 vs 150.0 µs (keygate 6.00× cheaper), cores busy 1.00 vs 1.50');
  });
});
