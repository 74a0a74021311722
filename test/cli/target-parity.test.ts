/**
 * Issue 17 point 4: `keygate explain` and `keygate test` decide exactly as the service does. One table of URLs goes
 * through the CLI (targetFromUrl, explain --json, test --json) and through the service's adapters (the headers
 * Traefik/Caddy and nginx send for the same request); targets, refusals and decisions must be identical.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { explainCommand } from '../../src/cli/explain.js';
import { requestUrl, targetFromUrl } from '../../src/cli/target-url.js';
import { testCommand } from '../../src/cli/test-cases.js';
import { isAuthError } from '../../src/errors.js';
import { nginxTarget, traefikTarget } from '../../src/http/target.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { NO_RULE, type Target } from '../../src/policy/types.js';
import { buildPolicy, type RuleInput, policyYaml } from '../policy/fixtures.js';
import { captureIo, tempFiles } from './support.js';

/** What the service builds: the target's host, path and query, or a refusal naming the part at fault. */
type Want = { host: string; path: string; query?: string; method?: string } | { refused: 'method' | 'host' | 'uri' | 'path' } | 'usage';

interface Row {
  readonly name: string;
  readonly url: string;
  readonly method?: string;
  readonly want: Want;
}

const H = 'prefect.example.com';

const table: readonly Row[] = [
  { name: 'a plain URL', url: `https://${H}/api/flows`, want: { host: H, path: '/api/flows' } },
  { name: 'an upper-case host', url: 'https://Prefect.EXAMPLE.com/api/flows', want: { host: H, path: '/api/flows' } },
  { name: 'a trailing-dot host', url: `https://${H}./api/flows`, want: { host: H, path: '/api/flows' } },
  { name: 'a port', url: `https://${H}:8443/api/flows`, want: { host: H, path: '/api/flows' } },
  { name: 'an upper-case scheme', url: `HTTPS://${H}/api/flows`, want: { host: H, path: '/api/flows' } },
  { name: 'an IPv6 literal with a port', url: 'http://[::1]:8080/api/flows', want: { host: '[::1]', path: '/api/flows' } },
  { name: 'a query (never matched, kept raw)', url: `https://${H}/api/flows?limit=5&x=%2F`, want: { host: H, path: '/api/flows', query: 'limit=5&x=%2F' } },
  { name: 'no path', url: `https://${H}`, want: { host: H, path: '/' } },
  { name: 'a query without a path', url: `https://${H}?x=1`, want: { host: H, path: '/', query: 'x=1' } },
  { name: 'a fragment (the client keeps it)', url: `https://${H}/api/flows#top`, want: { host: H, path: '/api/flows' } },
  { name: 'a lower-case method', url: `https://${H}/api/flows`, method: 'post', want: { host: H, path: '/api/flows', method: 'POST' } },
  { name: 'double slashes', url: `https://${H}//api///flows`, want: { host: H, path: '/api/flows' } },
  { name: '%2e%2e below the root', url: `https://${H}/ui/%2e%2e/api/flows`, want: { host: H, path: '/api/flows' } },
  { name: '.. below the root', url: `https://${H}/ui/../admin/x`, want: { host: H, path: '/admin/x' } },
  { name: 'an encoded space inside a segment', url: `https://${H}/my%20files/x`, want: { host: H, path: '/my files/x' } },
  { name: 'a space in the path', url: `https://${H}/api/a b`, want: { refused: 'uri' } },
  { name: 'a raw non-ASCII path', url: `https://${H}/café`, want: { refused: 'uri' } },
  { name: '%2e%2e above the root', url: `https://${H}/%2e%2e/admin`, want: { refused: 'path' } },
  { name: 'an encoded slash', url: `https://${H}/api/a%2Fb`, want: { refused: 'path' } },
  { name: 'invalid percent-encoding', url: `https://${H}/api/%zz`, want: { refused: 'path' } },
  { name: 'a backslash', url: `https://${H}/api\\admin`, want: { refused: 'path' } },
  { name: 'an encoded NUL', url: `https://${H}/admin%00.png`, want: { refused: 'path' } },
  { name: 'a space in the host', url: 'https://prefect example.com/api', want: { refused: 'host' } },
  { name: 'user info', url: `https://alice@${H}/api/flows`, want: { refused: 'host' } },
  { name: 'an empty host', url: 'https:///api/flows', want: { refused: 'host' } },
  { name: 'a non-numeric port', url: `https://${H}:http/api/flows`, want: { refused: 'host' } },
  { name: 'a method longer than any HTTP method', url: `https://${H}/api/flows`, method: 'A'.repeat(25), want: { refused: 'method' } },
  { name: 'not http(s)', url: `ftp://${H}/api/flows`, want: 'usage' },
  { name: 'a relative URL', url: '/api/flows', want: 'usage' },
  { name: 'a method with a space', url: `https://${H}/api/flows`, method: 'GE T', want: 'usage' },
];

const rules: RuleInput[] = [
  { name: 'no-admin', paths: ['/admin/**'], deny: true },
  { name: 'api', hosts: [H], paths: ['/api/**'], methods: ['GET'], allow: 'public' },
  { name: 'files', paths: ['/my files/**'], allow: 'authenticated' },
];
const policy = buildPolicy(rules);
const policyFile = join(tempFiles({ 'policy.yaml': policyYaml(rules) }), 'policy.yaml');

/** The service's answer to the request a client makes for `url`, through one adapter: a Target or the refusal's detail. */
type Built = { target: Target } | { refused: string };

function service(adapter: () => Target): Built {
  try {
    return { target: adapter() };
  } catch (err) {
    assert.ok(isAuthError(err) && err.code === 'ERR_BAD_TARGET', `expected ERR_BAD_TARGET, got ${String(err)}`);
    return { refused: err.detail ?? '' };
  }
}

/** The forwarded headers of Traefik / Caddy (X-Forwarded-*) and of nginx (X-Original-*) for the same request. */
function viaProxies(method: string, url: string): { traefik: Built; nginx: Built } {
  const sent = requestUrl(url);
  const parts = /^([a-z]+):\/\/([^/?#]*)(.*)$/is.exec(sent);
  const traefik = parts === null
    ? { refused: 'no proxy forwards this' }
    : service(() => traefikTarget({ 'x-forwarded-method': method, 'x-forwarded-proto': parts[1], 'x-forwarded-host': parts[2], 'x-forwarded-uri': parts[3] }));
  const nginx = service(() => nginxTarget({ 'x-original-method': method, 'x-original-url': sent }));
  return { traefik, nginx };
}

/** The decision the service makes for an anonymous request with this target (bad_request when refused). */
function serviceDecision(built: Built): { kind: string; rule: string } {
  if ('refused' in built) return { kind: 'bad_request', rule: NO_RULE };
  const d = evaluate(policy, built.target, undefined);
  return { kind: d.kind, rule: d.rule };
}

describe('one target parser: the CLI builds the very target the service builds', () => {
  for (const row of table) {
    const method = row.method ?? 'GET';
    it(row.name, () => {
      const cli = targetFromUrl(method, row.url);
      const { traefik, nginx } = viaProxies(method, row.url);
      if (row.want === 'usage') {
        assert.equal(cli.ok ? 'ok' : cli.kind, 'invalid_url', 'the CLI calls this a usage error');
        assert.ok('refused' in nginx && 'refused' in traefik, 'and the service refuses it');
        return;
      }
      assert.deepEqual(traefik, nginx, 'Traefik and nginx headers give the same target');
      if ('refused' in row.want) {
        assert.ok(!cli.ok && cli.kind === 'bad_request', `the CLI refuses it as the service does, got ${JSON.stringify(cli)}`);
        assert.equal(cli.part, row.want.refused);
        assert.deepEqual(nginx, { refused: cli.detail }, 'with the service\'s detail');
        return;
      }
      assert.ok(cli.ok, `the CLI accepts it, got ${JSON.stringify(cli)}`);
      assert.deepEqual(nginx, { target: cli.target });
      const { host, path, query = '', method: wantMethod = method.toUpperCase() } = row.want;
      assert.deepEqual({ host: cli.target.host, path: cli.target.path, query: cli.target.query, method: cli.target.method }, { host, path, query, method: wantMethod });
    });
  }
});

describe('one target parser: explain and test decide as the service does', () => {
  const decided = table.filter((r) => r.want !== 'usage');

  for (const row of decided) {
    it(`keygate explain: ${row.name}`, async () => {
      const method = row.method ?? 'GET';
      const io = captureIo();
      assert.equal(await explainCommand(['--policy', policyFile, '--method', method, '--url', row.url, '--json'], io), 0, io.err());
      const out = JSON.parse(io.out()) as { decision: { kind: string; rule: string } };
      assert.deepEqual({ kind: out.decision.kind, rule: out.decision.rule }, serviceDecision(viaProxies(method, row.url).nginx));
    });
  }

  it('keygate test: every row expects the service\'s decision, and every case passes', async () => {
    const expected = decided.map((row) => serviceDecision(viaProxies(row.method ?? 'GET', row.url).traefik));
    const cases = decided.map((row, i) => ({
      name: row.name,
      request: { method: row.method ?? 'GET', url: row.url },
      expect: expected[i]?.kind,
      rule: expected[i]?.rule,
    }));
    const dir = tempFiles({ 'cases.yaml': stringify({ cases }) });
    const io = captureIo();
    const code = await testCommand(['--policy', policyFile, join(dir, 'cases.yaml'), '--json'], io);
    const results = io.out().trim().split('\n').map((line) => JSON.parse(line) as { name: string; actual: string; rule: string });
    assert.deepEqual(results.map((r) => ({ kind: r.actual, rule: r.rule })), expected);
    assert.equal(code, 0, io.err());
    // The table reaches every kind of decision, so the comparison is not all one answer.
    assert.deepEqual([...new Set(expected.map((e) => e.kind))].sort(), ['allow', 'bad_request', 'deny', 'unauthenticated']);
  });
});
