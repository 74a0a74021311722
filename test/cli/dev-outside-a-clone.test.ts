/**
 * `keygate dev` where the demo is not built (issue 17 point 5): the dev IdP lives in dev/, outside the package's
 * dist/src, so an installed keygate, or a build without the development dependencies, says in one line what to do.
 * Each case runs a copy of the build laid out as that install would be.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../support/proc.js';
import { hasStackTrace, runBin } from './run-bin.js';
import { ROOT } from './support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of dist/src (and dist/dev when `withDev`) with the clone's node_modules, oidc-provider left out unless asked. */
function install(opts: { withDev: boolean; oidcProvider: boolean }): string {
  const dir = tempDir('keygate-dev-install-');
  dirs.push(dir);
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'dist/src'), join(dir, 'dist/src'), { recursive: true });
  if (opts.withDev) cpSync(join(ROOT, 'dist/dev'), join(dir, 'dist/dev'), { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name !== 'oidc-provider' || opts.oidcProvider) symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
  }
  return join(dir, 'dist/src/cli/main.js');
}

const ENV = { PATH: process.env['PATH'] ?? '' };
const NOT_IN_PACKAGE = 'keygate dev: the local demo runs from a clone of keygate, not from an installed package: git clone https://github.com/keygate/keygate && cd keygate && npm install && npm start\n';
const NO_DEV_DEPENDENCIES = 'keygate dev: the dev identity provider needs the development dependencies (oidc-provider); run `npm install` in a clone of keygate. It is never part of a production install.\n';

describe('keygate dev outside a clone: one line, exit 1, no stack trace', () => {
  it('without dist/dev (an installed package): says the demo runs from a clone, also for --help and any option', async () => {
    const bin = install({ withDev: false, oidcProvider: false });
    for (const args of [['dev'], ['dev', '--help'], ['dev', '--gateway-port', '0']]) {
      const r = await runBin(args, ENV, 20_000, bin);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr, NOT_IN_PACKAGE, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      assert.equal(hasStackTrace(r.stderr), false, r.stderr);
    }
  });

  it('with dist/dev but without oidc-provider (npm install --omit=dev): names the missing development dependencies', async () => {
    const r = await runBin(['dev', '--gateway-port', '0', '--idp-port', '0', '--keygate-port', '0', '--app-port', '0'], ENV, 20_000, install({ withDev: true, oidcProvider: false }));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, NO_DEV_DEPENDENCIES);
    assert.equal(hasStackTrace(r.stderr), false, r.stderr);
  });

  it('the same copy with oidc-provider gets past both checks (to the loopback check), so the copies above are sound', async () => {
    const r = await runBin(['dev', '--host', '192.0.2.1'], ENV, 20_000, install({ withDev: true, oidcProvider: true }));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^keygate dev: refusing to bind to 192\.0\.2\.1: the dev identity provider is for local use only/);
  });
});
