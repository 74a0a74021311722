import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { after, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { freePort, requireBinary, startProcess, type Proc } from '../support/proc.js';
import { ROOT } from '../support/proxies.js';

let demo: Proc | undefined;
after(async () => demo?.stop());

async function waitFor(proc: Proc, text: string, ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.output().includes(text)) return proc.output();
    if (proc.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`keygate dev did not print ${JSON.stringify(text)}:\n${proc.output()}`);
}

/** The `$ command` lines of the banner, each with the output line printed under it (if any). */
function examples(banner: string): Array<{ command: string; expect: string | undefined }> {
  const lines = banner.split('\n');
  const out: Array<{ command: string; expect: string | undefined }> = [];
  lines.forEach((line, i) => {
    const m = /^\s+\$ (.*)$/.exec(line);
    const next = lines[i + 1];
    if (m?.[1] !== undefined) out.push({ command: m[1], expect: next !== undefined && !/^\s+\$ /.test(next) && next.trim() !== '' ? next.trim() : undefined });
  });
  return out;
}

it('keygate dev: a real browser signs in as alice and sees the identity headers; the printed curl commands give the printed results', async (t) => {
  if (requireBinary(t, 'curl') === undefined) return;
  const browser = await launchChromium(t);
  if (browser === undefined) return;
  try {
    const [g, i, k] = [await freePort(), await freePort(), await freePort()];
    demo = startProcess(process.execPath, ['dist/src/cli/main.js', 'dev', '--gateway-port', String(g), '--idp-port', String(i), '--keygate-port', String(k), '--app-port', '0'], { cwd: ROOT });
    const banner = await waitFor(demo, 'Press Ctrl-C to stop.');
    const open = /Open in a browser:\s+(\S+)/.exec(banner)?.[1];
    assert.equal(open, `http://127.0.0.1:${g}/`);

    const cmds = examples(banner);
    assert.ok(cmds.length >= 4, `expected curl examples in:\n${banner}`);
    const script = cmds.map((c) => (c.expect === undefined ? c.command : `echo "@@$(${c.command})"`)).join('\n');
    const printed = execFileSync('bash', ['-c', `set -e\n${script}`], { encoding: 'utf8', timeout: 20_000 }).split('\n').filter((l) => l.startsWith('@@')).map((l) => l.slice(2));
    assert.deepEqual(printed, cmds.filter((c) => c.expect !== undefined).map((c) => c.expect));

    const page = await browser.newPage();
    await page.goto(open);
    assert.match(await page.title(), /Sign in to demo/);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice');
    await Promise.all([page.waitForURL(open), page.click('#kc-login')]);
    assert.equal(await page.locator('#x-auth-user').innerText(), 'alice');
    assert.equal(await page.locator('#x-auth-email').innerText(), 'alice@example.com');
    assert.match(await page.locator('#x-auth-roles').innerText(), /viewer/);

    await scenarios(page, open);
    // The terminal showed each decision's audit line as it happened (issue 16 point 6), and never a token.
    const audit = await waitFor(demo, 'POST /api/flows  rule demo-api-write');
    assert.match(banner, /Decisions appear below as they happen/);
    for (const line of [
      /\d\d:\d\d:\d\d  403 deny\s+GET \/admin\/  rule demo-admin \(condition_unmet\)  alice \(session\)  error ERR_POLICY_DENIED\n/,
      /\d\d:\d\d:\d\d  200 allow\s+GET \/api\/flows  rule demo-api-read \(condition_met\)  alice \(session\)\n/,
      /\d\d:\d\d:\d\d  401 unauthenticated\s+GET \/api\/flows  rule demo-api-read \(no_credentials\)  anonymous\n/,
      /\d\d:\d\d:\d\d  403 deny\s+POST \/api\/flows  rule demo-api-write \(condition_unmet\)  alice \(session\)  error ERR_POLICY_DENIED\n/,
      /\d\d:\d\d:\d\d  200 allow\s+GET \/api\/flows  rule demo-api-read \(condition_met\)  service-account-ci-reader \(bearer\)\n/,
    ]) assert.match(audit, line);
    assert.doesNotMatch(audit, /eyJ[\w-]{10,}/, 'no JWT in the demo output');
  } finally {
    await browser.close();
  }
});

/** Follows every scenario the demo page links to, signed in as alice (viewer), ending signed out. */
async function scenarios(page: Page, open: string): Promise<void> {
  const href = (id: string): Promise<string | null> => page.locator(`#${id}`).getAttribute('href');
  assert.deepEqual([await href('scenario-allowed'), await href('scenario-forbidden'), await href('scenario-logout')], ['/api/flows', '/admin/', '/_keygate/logout?rd=/']);

  // Allowed: demo-api-read lets every demo role read.
  const [allowed] = await Promise.all([page.waitForNavigation(), page.click('#scenario-allowed')]);
  assert.equal(allowed?.status(), 200);
  assert.equal(await page.locator('#x-auth-user').innerText(), 'alice');

  // Forbidden: keygate's 403 page names alice, the rule and what it needs, and nothing from her token.
  const [forbidden] = await Promise.all([page.waitForNavigation(), page.click('#scenario-forbidden')]);
  assert.equal(forbidden?.status(), 403);
  assert.equal(await page.locator('#keygate-user').innerText(), 'alice');
  assert.equal(await page.locator('#keygate-rule').innerText(), 'demo-admin');
  assert.equal(await page.locator('#keygate-needs').innerText(), 'role admin');
  const html = await page.content();
  assert.doesNotMatch(html, /viewer|alice@example\.com|eyJ/, 'the 403 page shows no token contents (alice\'s own roles, email, the token)');

  // API 401 and 403: fetch calls from the page answer JSON, never a redirect.
  await page.goto(open);
  const api = async (id: string): Promise<string> => {
    await page.locator('#scenario-result').evaluate((e) => { e.removeAttribute('data-status'); });
    await page.click(`#${id}`);
    await page.waitForSelector('#scenario-result[data-status]');
    return page.locator('#scenario-result').innerText();
  };
  const unauthenticated = await api('scenario-api-401');
  assert.match(unauthenticated, /^GET \/api\/flows → 401\nBearer realm="keygate"\n\{"error":"unauthorized"/);
  const denied = await api('scenario-api-403');
  assert.match(denied, /^POST \/api\/flows → 403\n/);
  assert.match(denied, /"rule":"demo-api-write"/);

  // Sign out: the session ends here and at the identity provider; the demo asks for a sign-in again.
  await Promise.all([page.waitForURL(open), page.click('#scenario-logout')]);
  assert.match(await page.title(), /Sign in to demo/);
}

it('keygate dev refuses to bind the dev identity provider to anything but loopback, and says so', () => {
  let out = '';
  try {
    execFileSync(process.execPath, ['dist/src/cli/main.js', 'dev', '--host', '0.0.0.0'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe', timeout: 20_000 });
    assert.fail('keygate dev should have refused 0.0.0.0');
  } catch (err) {
    out = String((err as { stderr?: unknown }).stderr ?? '');
    assert.equal((err as { status?: number }).status, 1);
  }
  assert.match(out, /refusing to bind to 0\.0\.0\.0.*loopback/);
});

it('keygate dev names the flag to change a port that is already taken, for each of its ports, and starts nothing', async (t) => {
  const flags = ['gateway-port', 'idp-port', 'keygate-port', 'app-port'] as const;
  const roles = { 'gateway-port': 'the gateway', 'idp-port': 'the dev identity provider', 'keygate-port': 'keygate', 'app-port': 'the demo app' };
  for (const flag of flags) {
    await t.test(flag, async () => {
      const holder = createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
      const port = (holder.address() as { port: number }).port;
      const args = flags.flatMap((f) => [`--${f}`, f === flag ? String(port) : '0']);
      try {
        execFileSync(process.execPath, ['dist/src/cli/main.js', 'dev', ...args], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe', timeout: 20_000 });
        assert.fail(`keygate dev should have refused the taken --${flag}`);
      } catch (err) {
        const e = err as { status?: number | null; stderr?: unknown; stdout?: unknown };
        assert.equal(e.status, 1, String(e.stderr));
        assert.equal(String(e.stderr).split('\n').filter((l) => l.startsWith('keygate dev:')).join('\n'), `keygate dev: port ${port} on 127.0.0.1 (${roles[flag]}) is already in use (EADDRINUSE); choose another with --${flag} PORT (0 = any free port)`);
        assert.doesNotMatch(String(e.stdout), /Press Ctrl-C/);
      } finally {
        await new Promise((r) => holder.close(r));
      }
    });
  }
});
