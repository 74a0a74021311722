/**
 * The test command (`npm test`, `npm run test:real`): runs every compiled test file with node's test runner, and
 * boots the one real Keycloak that the real-system suite (test/e2e/real) shares, with every scenario realm and every
 * shipped realm export imported at boot (--import-realm). Keycloak boots while the other files run; the real-system
 * files come last and poll its readiness. Set KEYGATE_TEST_KEYCLOAK (and _MANAGEMENT, _ADMIN_PASSWORD) to use a
 * Keycloak that is already running instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { freePort, tempDir } from './support/proc.js';
import { ROOT } from './support/proxies.js';
import { keycloakInstall, pinnedVersions } from './support/real-systems.js';
import { realmFiles } from './support/realms.js';

const realOnly = process.argv.includes('--real');
const REAL_DIR = join('dist', 'test', 'e2e', 'real');

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (e.name.endsWith('.test.js')) out.push(relative(ROOT, p));
  }
  return out;
}

/** Boots Keycloak in the background with the realms imported; resolves to the env the tests read. */
async function bootKeycloak(): Promise<{ env: Record<string, string>; child: ChildProcess } | undefined> {
  const kc = keycloakInstall();
  if (kc === undefined) {
    process.stderr.write('\n!!!!!!!! Keycloak is not installed (bash scripts/real-systems.sh): the real-system tests will skip, or fail under E2E_REQUIRED=1 !!!!!!!!\n\n');
    return undefined;
  }
  // A fresh H2 database every run, so every realm is imported from its file (an existing realm is never re-imported).
  rmSync(join(kc.home, 'data'), { recursive: true, force: true });
  const importDir = join(kc.home, 'data', 'import');
  mkdirSync(importDir, { recursive: true });
  for (const f of realmFiles()) writeFileSync(join(importDir, `${f.realm}-realm.json`), readFileSync(f.path));
  const [port, management] = [await freePort(), await freePort()];
  const password = `admin-${process.pid}-${Date.now()}`;
  const logFile = join(tempDir('keygate-keycloak-'), 'keycloak.log');
  const log = createWriteStream(logFile);
  const child = spawn(join(kc.home, 'bin/kc.sh'), ['start-dev', '--http-host=127.0.0.1', `--http-port=${port}`, '--health-enabled=true',
    `--http-management-port=${management}`, '--import-realm'], {
    env: { ...process.env, JAVA_HOME: kc.javaHome, KC_BOOTSTRAP_ADMIN_USERNAME: 'admin', KC_BOOTSTRAP_ADMIN_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: kc.sh starts a second JVM, and both are stopped together
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  // A Keycloak that dies during boot fails the waiting tests at once instead of after their readiness bound.
  child.once('exit', (code, signal) => { writeFileSync(`${logFile}.exited`, `exit code ${code ?? ''} signal ${signal ?? ''}`); });
  process.stdout.write(`# real Keycloak ${kc.version} (JAVA_HOME=${kc.javaHome}) booting on 127.0.0.1:${port}, log ${logFile}\n`);
  return {
    child,
    env: {
      KEYGATE_TEST_KEYCLOAK: `http://127.0.0.1:${port}`,
      KEYGATE_TEST_KEYCLOAK_MANAGEMENT: `http://127.0.0.1:${management}`,
      KEYGATE_TEST_KEYCLOAK_ADMIN_PASSWORD: password,
      KEYGATE_TEST_KEYCLOAK_LOG: logFile,
    },
  };
}

function stop(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
    const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 10_000);
    child.once('exit', () => clearTimeout(t));
  } catch { /* already gone */ }
}

const all = testFiles(join(ROOT, 'dist', 'test')).sort();
const real = all.filter((f) => f.startsWith(REAL_DIR));
const files = realOnly ? real : [...all.filter((f) => !f.startsWith(REAL_DIR)), ...real];
const versions = pinnedVersions();
process.stdout.write(`# real systems pinned (scripts/versions.env): ${Object.entries(versions).filter(([k]) => k.endsWith('VERSION')).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
const kc = real.length > 0 && process.env['KEYGATE_TEST_KEYCLOAK'] === undefined ? await bootKeycloak() : undefined;
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...kc?.env } });
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { child.kill(sig); });
child.on('exit', (code, signal) => {
  if (kc !== undefined) stop(kc.child);
  process.exitCode = code ?? (signal !== null ? 1 : 0);
});
