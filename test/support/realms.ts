/** The Keycloak realm exports the real-system suite imports: its scenario realms and every shipped realm.json. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './proxies.js';

/** A realm export file and the realm it defines. */
export interface RealmFile {
  readonly realm: string;
  readonly path: string;
}

/** Scenario realms (test/e2e/real/realms) and shipped ones (examples/<name>/realm.json, deploy/**). */
export function realmFiles(): RealmFile[] {
  const paths: string[] = [];
  const scenarios = join(ROOT, 'test/e2e/real/realms');
  if (existsSync(scenarios)) for (const f of readdirSync(scenarios).sort()) if (f.endsWith('.json')) paths.push(join(scenarios, f));
  paths.push(...shippedRealmFiles());
  return paths.map((path) => ({ path, realm: realmName(path) }));
}

/** Every realm export the repository ships to users. */
export function shippedRealmFiles(): string[] {
  const out: string[] = [];
  for (const ex of readdirSync(join(ROOT, 'examples')).sort()) {
    const p = join(ROOT, 'examples', ex, 'realm.json');
    if (existsSync(p)) out.push(p);
  }
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/realm.*\.json$/.test(e.name)) out.push(p);
    }
  };
  walk(join(ROOT, 'deploy'));
  return out;
}

/** The `realm` field of an export. */
export function realmName(path: string): string {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { realm?: unknown };
  if (typeof doc.realm !== 'string') throw new Error(`${path} has no "realm" name`);
  return doc.realm;
}
