/**
 * The published package: `npm pack` makes a tarball that installs into an empty folder (dependencies from the npm
 * registry), whose `keygate check` runs there, and which holds the schema path the docs give to editors.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Ajv, type AnySchema } from 'ajv';
import { parse } from 'yaml';
import { tempDir } from '../support/proc.js';
import { filesUnder, record, ROOT } from './support.js';

const exec = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** The whole test is bounded: an install that hangs on the network fails instead of stalling the suite. */
const INSTALL_TIMEOUT_MS = 240_000;

const dir = tempDir('keygate-pack-');
const app = join(dir, 'app');
after(() => rmSync(dir, { recursive: true, force: true }));

/** The environment of the commands: no KEYGATE_* from the caller leaks into `keygate check`. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KEYGATE_') && !k.startsWith('npm_')));
}

async function run(cmd: string, args: readonly string[], cwd: string, timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(cmd, [...args], { cwd, env: cleanEnv(), timeout, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = record(err, 'exec error');
    if (typeof e['code'] !== 'number') throw err;
    return { code: e['code'], stdout: String(e['stdout']), stderr: String(e['stderr']) };
  }
}

/** One entry of `npm pack --json`. */
interface Packed {
  readonly filename: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

let packed: Packed | undefined;

describe('npm pack: the package installs into an empty folder and runs', { timeout: INSTALL_TIMEOUT_MS + 120_000 }, () => {
  before(async () => {
    // Builds first when needed: the tarball ships dist/src, which only the build writes.
    if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
      const b = await run(NPM, ['run', 'build'], ROOT, 180_000);
      assert.equal(b.code, 0, b.stdout + b.stderr);
    }
    const p = await run(NPM, ['pack', '--json', '--pack-destination', dir], ROOT);
    assert.equal(p.code, 0, p.stderr);
    const out = JSON.parse(p.stdout) as unknown;
    assert.ok(Array.isArray(out) && out.length === 1, p.stdout);
    packed = out[0] as Packed;
  });

  it('the tarball holds the service, the schemas, README and LICENSE, and no tests or sources', () => {
    assert.ok(packed !== undefined);
    const files = packed.files.map((f) => f.path);
    for (const f of ['package.json', 'LICENSE', 'README.md', 'dist/src/cli/main.js', 'schemas/config.schema.json', 'schemas/policy.schema.json']) assert.ok(files.includes(f), `${f} is missing from the tarball`);
    assert.deepEqual(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'tests or TypeScript sources in the tarball');
    // The dev IdP and the demo (dev/, built to dist/dev) are built here but never packed (issue 17 point 5).
    assert.ok(existsSync(join(ROOT, 'dist/dev/idp/index.js')), 'the build writes dist/dev, so its absence below means something');
    assert.deepEqual(files.filter((f) => /^(dist\/)?(src\/)?dev\//.test(f)), [], 'the dev IdP or the demo in the tarball');
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
    assert.equal(record(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as unknown, 'package.json')['license'], 'Apache-2.0', 'package.json names the LICENSE file\'s licence');
  });

  it('the tarball carries docs/, which README.md links to', () => {
    assert.ok(packed !== undefined);
    const files = new Set(packed.files.map((f) => f.path));
    const docs = filesUnder('docs', ['.md']).map((f) => relative(ROOT, f).split(sep).join('/'));
    assert.ok(docs.includes('docs/configuration.md'), `docs/configuration.md is missing from the repository: ${docs.join(', ')}`);
    assert.deepEqual(docs.filter((f) => !files.has(f)), [], 'docs missing from the tarball');
  });

  it('npm install <tarball> in an empty folder installs keygate and its dependencies from the registry', { timeout: INSTALL_TIMEOUT_MS }, async () => {
    assert.ok(packed !== undefined);
    mkdirSync(app, { recursive: true });
    assert.deepEqual(readdirSync(app), [], 'the folder starts empty');
    const r = await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed.filename)], app, INSTALL_TIMEOUT_MS);
    assert.equal(r.code, 0, `npm install failed:\n${r.stderr}`);
    assert.ok(existsSync(join(app, 'node_modules/.bin/keygate')), 'the keygate bin is linked');
    for (const dep of Object.keys(record(record(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as unknown, 'package.json')['dependencies'], 'dependencies'))) {
      assert.ok(existsSync(join(app, 'node_modules', dep, 'package.json')), `dependency ${dep} is not installed`);
    }
  });

  it('keygate check runs there: a valid config and policy pass (exit 0), a bad policy fails with its position (exit 1)', async () => {
    assert.ok(existsSync(join(app, 'node_modules/.bin/keygate')), 'the install test must pass first');
    writeFileSync(
      join(app, 'keygate.yaml'),
      [
        '# yaml-language-server: $schema=./node_modules/keygate/schemas/config.schema.json',
        'issuer: https://keycloak.example.com/realms/acme',
        'clientId: keygate',
        'clientSecret: packed-client-secret',
        'sessionSecrets: [packed-session-secret-0123456789abcdefgh]',
        'authorizedParties: [keygate]',
        'policyFile: policy.yaml',
        '',
      ].join('\n'),
    );
    writeFileSync(join(app, 'policy.yaml'), 'version: 1\ndefault: deny\nrules:\n  - name: health\n    hosts: [app.example.com]\n    paths: [/healthz]\n    allow: public\n');
    const ok = await run(join(app, 'node_modules/.bin/keygate'), ['check', '--config', 'keygate.yaml'], app);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /config OK/, 'the config was validated, not skipped');
    assert.match(ok.stdout, /policy OK: 1 rule/);
    writeFileSync(join(app, 'insecure.yaml'), readFileSync(join(app, 'keygate.yaml'), 'utf8').replace('issuer: https://', 'issuer: http://'));
    const insecure = await run(join(app, 'node_modules/.bin/keygate'), ['check', '--config', 'insecure.yaml'], app);
    assert.equal(insecure.code, 1, insecure.stdout + insecure.stderr);
    assert.match(insecure.stdout + insecure.stderr, /insecure\.yaml:2:\d+: issuer: must use https/);
    writeFileSync(join(app, 'bad.yaml'), 'version: 1\ndefault: deny\nrules:\n  - name: health\n    methods: [FETCH]\n    allow: public\n');
    const bad = await run(join(app, 'node_modules/.bin/keygate'), ['check', '--policy', 'bad.yaml'], app);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout + bad.stderr, /bad\.yaml:5:\d+: .*FETCH/);
  });

  it('keygate dev there answers one line saying the demo runs from a clone (exit 1), and no installed file refers to oidc-provider', async () => {
    const pkgDir = join(app, 'node_modules/keygate');
    assert.ok(existsSync(join(app, 'node_modules/.bin/keygate')), 'the install test must pass first');
    const r = await run(join(app, 'node_modules/.bin/keygate'), ['dev'], app);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^keygate dev: the local demo runs from a clone of keygate, not from an installed package: git clone \S+ && cd keygate && npm install && npm start\n$/);
    assert.equal(existsSync(join(pkgDir, 'dist/dev')), false, 'dist/dev was installed');
    const installed = readdirSync(join(pkgDir, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    assert.ok(installed.includes(join('src', 'cli', 'dev.js')), `dist/src/cli/dev.js is not installed: ${installed.length} files`);
    const mentions = installed.filter((f) => readFileSync(join(pkgDir, 'dist', f), 'utf8').includes('oidc-provider'));
    assert.deepEqual(mentions, [], 'installed files that load the dev IdP\'s dependency');
  });

  it('every node_modules/keygate/… path the docs give (the editors\' schema) resolves in the install, and the schema accepts the config', () => {
    const docs = [join(ROOT, 'README.md'), ...(existsSync(join(ROOT, 'docs')) ? filesUnder('docs', ['.md']) : [])];
    const paths = new Set(docs.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/node_modules\/keygate\/[\w./-]+\w/g)].map((m) => m[0])));
    assert.ok(paths.has('node_modules/keygate/schemas/config.schema.json'), `the docs no longer give the config schema path: ${[...paths].join(', ')}`);
    for (const p of paths) assert.ok(existsSync(join(app, p)), `${p} (named in the docs) is not in the installed package`);
    const schema = JSON.parse(readFileSync(join(app, 'node_modules/keygate/schemas/config.schema.json'), 'utf8')) as AnySchema;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    assert.ok(validate(parse(readFileSync(join(app, 'keygate.yaml'), 'utf8'))), JSON.stringify(validate.errors));
  });
});
