import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, USAGE } from '../../src/cli/commands.js';
import { captureIo, ROOT } from './support.js';

describe('keygate command dispatch', () => {
  it('runs check, explain and test', async () => {
    const policy = join(ROOT, 'examples', 'demo', 'policy.yaml');
    const io = captureIo();
    assert.equal(await runCli(['check', '--policy', policy], io), 0);
    assert.equal(await runCli(['test', '--policy', policy, join(ROOT, 'examples', 'demo', 'cases.yaml')], io), 0);
    assert.equal(await runCli(['explain', '--policy', policy, '--method', 'GET', '--url', 'http://h/health'], io), 0);
    assert.match(io.out(), /^policy OK: 5 rules\n\d+ passed, 0 failed\ndecision: allow \(public\)\n/);
  });

  it('prints usage on stderr and exits 2 for an unknown command', async () => {
    const io = captureIo();
    assert.equal(await runCli(['frobnicate'], io), 2);
    assert.equal(io.err(), `keygate: unknown command "frobnicate"\n${USAGE}`);
  });

  it('prints usage on stdout for --help', async () => {
    const io = captureIo();
    assert.equal(await runCli(['--help'], io), 0);
    assert.equal(io.out(), USAGE);
  });

  it('the built bin sets the exit code', () => {
    const bin = join(ROOT, 'dist', 'src', 'cli', 'main.js');
    const out = execFileSync(process.execPath, [bin, 'check', '--policy', join(ROOT, 'examples', 'demo', 'policy.yaml')], { encoding: 'utf8' });
    assert.equal(out, 'policy OK: 5 rules\n');
    assert.throws(() => execFileSync(process.execPath, [bin, 'nope'], { stdio: 'pipe' }), (err: { status?: number }) => err.status === 2);
  });
});
