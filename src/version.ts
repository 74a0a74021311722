/** keygate's own version, read once from package.json (the CLI's --version, the trace scope). */
import { readFileSync } from 'node:fs';

/** The version in package.json (two levels above dist/src, one above src when run from source). */
export function version(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
      if (typeof pkg === 'object' && pkg !== null && 'name' in pkg && pkg.name === 'keygate' && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return 'unknown';
}
