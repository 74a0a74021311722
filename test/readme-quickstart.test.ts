import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(new URL('README.md', `file://${ROOT}`), 'utf8');
const quick = readme.slice(readme.indexOf('## Quick start'));
const block = /```sh\n([\s\S]*?)```/.exec(quick)?.[1] ?? '';
const commands = block.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l !== '');

it('the quick start is exactly: npm install, npm start, npm test', () => {
  assert.deepEqual(commands, ['npm install', 'npm start', 'npm test']);
});

it('`npm install` completes in this checkout', () => {
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'pipe', timeout: 300_000 });
  assert.ok(readFileSync(new URL('node_modules/jose/package.json', `file://${ROOT}`), 'utf8').length > 0);
});

it('`npm start` brings up the demo: the gateway sends a browser to the dev IdP login and the API answers 401 without a token', async () => {
  const child = spawn('npm', ['start'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  try {
    const deadline = Date.now() + 120_000;
    while (!out.includes('Press Ctrl-C to stop.') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    assert.ok(out.includes('Press Ctrl-C to stop.'), `npm start did not come up:\n${out}`);
    const open = /Open in a browser:\s+(\S+)/.exec(out)?.[1] ?? '';
    assert.equal(open, 'http://127.0.0.1:8080/');
    const nav = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', 'Accept: text/html', '-H', 'Sec-Fetch-Mode: navigate', open], { encoding: 'utf8' });
    assert.match(nav, /^302 http:\/\/127\.0\.0\.1:8180\/realms\/demo\/protocol\/openid-connect\/auth\?/);
    const api = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${open}api/flows`], { encoding: 'utf8' });
    assert.equal(api, '401');
  } finally {
    const signal = (s: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, s);
      } catch {
        // the process group is already gone
      }
    };
    const exited = new Promise((r) => child.once('exit', r));
    signal('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    signal('SIGKILL');
  }
});

it('`npm test` is the command running this suite', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', `file://${ROOT}`), 'utf8')) as { scripts: Record<string, string> };
  // test/run.ts boots the shared real Keycloak, then runs node's test runner over every compiled test file.
  assert.equal(pkg.scripts['test'], 'node dist/test/run.js');
  assert.match(readFileSync(new URL('test/run.ts', `file://${ROOT}`), 'utf8'), /spawn\(process\.execPath, \['--test', '--test-concurrency=1'/);
  if (process.env['npm_lifecycle_event'] !== 'test') {
    process.stderr.write('\n!!!!!!!! this suite was not started by `npm test`; only the script was checked !!!!!!!!\n\n');
    t.diagnostic('not started by npm test');
    return;
  }
  assert.equal(process.env['npm_lifecycle_event'], 'test');
});
