/** Issue #12 point 5: `keygate check` warns on a Keycloak issuer without /realms/<name> (discovery would 404). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run, warningsOf } from '../config/support.js';
import { tempDir } from '../support/proc.js';

const BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const warning = (origin: string, issuer: string): string =>
  `$KEYGATE_ISSUER: issuer: does not end in /realms/<realm name>, as a Keycloak realm issuer does (e.g. ${origin}/realms/acme); discovery reads ${issuer}/.well-known/openid-configuration, and tokens' iss must equal it exactly`;

describe('an issuer without /realms/<name> is warned about', () => {
  const cases = [
    { name: 'server root', issuer: 'https://kc.example.com', warn: true },
    { name: 'realms list without a name', issuer: 'https://kc.example.com/realms', warn: true },
    { name: 'admin console URL', issuer: 'https://kc.example.com/admin/master/console', warn: true },
    { name: 'realm issuer', issuer: 'https://kc.example.com/realms/acme', warn: false },
    { name: 'pre-17 realm issuer (/auth)', issuer: 'https://kc.example.com/auth/realms/acme', warn: false },
  ] as const;
  for (const c of cases) {
    it(`${c.name}: ${c.warn ? 'warns' : 'no warning'}`, () => {
      const r = run({ env: { KEYGATE_ISSUER: c.issuer } });
      assert.ok(r.value !== undefined, 'a warning, not an error');
      const got = warningsOf(r).filter((w) => w.includes('/realms/<realm name>'));
      assert.deepEqual(got, c.warn ? [warning('https://kc.example.com', c.issuer).replace('$KEYGATE_ISSUER: issuer: ', '$KEYGATE_ISSUER: ')] : []);
    });
  }

  it('keygate check prints it with the file position and exits 0', () => {
    const dir = tempDir('keygate-check-issuer-');
    const file = join(dir, 'keygate.yaml');
    writeFileSync(join(dir, 'policy.yaml'), 'version: 1\ndefault: deny\nrules:\n  - name: health\n    paths: [/healthz]\n    allow: public\n');
    writeFileSync(file, `issuer: https://kc.example.com\nclientId: keygate\nclientSecret: s\nauthorizedParties: [keygate]\nsessionSecrets: ["${'x'.repeat(32)}"]\npolicyFile: policy.yaml\n`);
    const r = spawnSync(process.execPath, [BIN, 'check', '--config', file], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(`${r.stdout}${r.stderr}`, new RegExp(`${file}:1:9: issuer: does not end in /realms/<realm name>`));
  });
});
