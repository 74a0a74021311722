/**
 * The Step Functions example's trigger and setup script are plain ESM (examples/ is outside the repository's tsc
 * build): they are type-checked here with the repository's compiler and the strict options of tsconfig.json.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './support.js';

describe('examples/step-functions: trigger.mjs and moto-setup.mjs', () => {
  it('type-check with // @ts-check under the repository\'s strict options', () => {
    const files = ['trigger.mjs', 'moto-setup.mjs'].map((f) => join(ROOT, 'examples', 'step-functions', f));
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), [
      '--ignoreConfig', '--noEmit', '--allowJs', '--checkJs', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2022', '--strict', '--noUncheckedIndexedAccess', '--exactOptionalPropertyTypes', '--noImplicitReturns',
      '--noUnusedLocals', '--noUnusedParameters', '--types', 'node', '--skipLibCheck', ...files,
    ], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `tsc found problems:\n${r.stdout}${r.stderr}`);
  });
});
