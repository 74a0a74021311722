import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/proc.js';

const BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

it('keygate check --config validates the config like serve does, printing every problem with line:column', () => {
  const dir = tempDir('keygate-check-');
  const file = join(dir, 'keygate.yaml');
  writeFileSync(file, 'issuer: https://kc.example.com/realms/acme\nclientId: keygate\nport: "80"\ncookie:\n  secure: yes\ntrustedProxys: [10.0.0.0/8]\n');
  const r = spawnSync(process.execPath, [BIN, 'check', '--config', file], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${file}:3:7: port: must be an integer 1-65535, got "80"`));
  assert.match(r.stderr, new RegExp(`${file}:5:11: cookie.secure: must be a boolean, got "yes"`));
  assert.match(r.stderr, /:6:1: trustedProxys: unknown key, did you mean "trustedProxies"\?/);
  assert.match(r.stderr, /sessionSecrets: is required/);
});
