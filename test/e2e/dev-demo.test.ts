import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, it } from 'node:test';
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
  } finally {
    await browser.close();
  }
});

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
