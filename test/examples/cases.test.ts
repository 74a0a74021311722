/**
 * The examples' policy test cases (issue #6): `keygate test` passes each example's cases.yaml, and each file covers
 * what the issue asks: at least 40 cases; public and anonymous requests; every role alone (no composites); the
 * admin-only routes; and the ambiguous paths answered with 400 (encoded slash, backslash, %00, bad percent-encoding,
 * `..` above the root).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { testCommand } from '../../src/cli/test-cases.js';
import { EXAMPLES, expandRole, exampleYaml, isRecord, list, record, routeTable, str, type Example } from './support.js';

/** One case of cases.yaml, as far as these checks read it. */
interface Case {
  readonly name: string;
  readonly method: string;
  readonly url: string;
  readonly roles: readonly string[] | undefined;
  readonly expect: string;
}

function cases(ex: Example): Case[] {
  const file = `examples/${ex.name}/cases.yaml`;
  const doc = record(exampleYaml(ex, 'cases.yaml'), file);
  return list(doc['cases'], `${file}: cases`).map((raw, i): Case => {
    const c = record(raw, `${file}: cases[${i}]`);
    const req = record(c['request'], `${file}: cases[${i}].request`);
    const identity = c['identity'];
    const roles = isRecord(identity) ? list(identity['roles'] ?? [], 'roles').map((r) => str(r, 'role')) : undefined;
    return { name: str(c['name'], 'name'), method: str(req['method'], 'method'), url: str(req['url'], 'url'), roles, expect: str(c['expect'], 'expect') };
  });
}

/** The level (viewer, engineer, admin …) of a single-role identity, for any of the example's namespaces. */
function levelOf(ex: Example, roles: readonly string[] | undefined): string | undefined {
  if (roles === undefined || roles.length !== 1) return undefined;
  const table = routeTable(ex);
  const spaces = ex.namespaces.length > 0 ? ex.namespaces : [undefined];
  for (const [level, template] of table.roles) {
    if (spaces.some((ns) => expandRole(template, ns) === roles[0])) return level;
  }
  return undefined;
}

/** The raw path of a case URL (no WHATWG parsing: it would resolve `..` and turn `\` into `/`). */
function rawPath(url: string): string {
  const m = /^https?:\/\/[^/?#]+([^?#]*)/.exec(url);
  return m?.[1] ?? '';
}

const AMBIGUOUS: ReadonlyArray<readonly [string, (p: string) => boolean]> = [
  ['an encoded slash (%2F)', (p) => /%2f/i.test(p)],
  ['a backslash', (p) => p.includes('\\')],
  ['an encoded NUL (%00)', (p) => p.includes('%00')],
  ['invalid percent-encoding', (p) => /%(?![0-9A-Fa-f]{2})/.test(p)],
  ['".." above the root', climbsAboveRoot],
];

/** True when resolving the (possibly %2e-encoded) dot segments of `path` climbs above "/". */
function climbsAboveRoot(path: string): boolean {
  let depth = 0;
  for (const seg of path.replace(/%2e/gi, '.').split('/').slice(1)) {
    if (seg === '..') depth--;
    else if (seg !== '.' && seg !== '') depth++;
    if (depth < 0) return true;
  }
  return false;
}

describe('the examples\' policy test cases', () => {
  for (const ex of EXAMPLES) {
    describe(ex.name, () => {
      it('keygate test passes every case', async () => {
        let out = '';
        let err = '';
        const code = await testCommand(['--policy', join(ex.dir, 'policy.yaml'), join(ex.dir, 'cases.yaml')], {
          stdout: (s) => { out += s; },
          stderr: (s) => { err += s; },
        });
        assert.equal(code, 0, `keygate test failed:\n${out}${err}`);
        assert.match(out, new RegExp(`\\b${cases(ex).length} passed, 0 failed\\b`));
      });

      // An app with a route table gets at least 40 cases; a service of our own with a route or two, at least 20.
      const least = ex.routeTable ? 40 : 20;
      it(`has at least ${least} cases with unique names`, () => {
        const all = cases(ex);
        assert.ok(all.length >= least, `only ${all.length} cases`);
        assert.equal(new Set(all.map((c) => c.name)).size, all.length, 'case names must be unique');
      });

      it('covers public and anonymous requests', () => {
        const anonymous = cases(ex).filter((c) => c.roles === undefined);
        assert.ok(anonymous.some((c) => c.expect === 'allow'), 'no public case (anonymous, allowed)');
        assert.ok(anonymous.filter((c) => c.expect === 'unauthenticated').length >= 2, 'fewer than two anonymous cases sent to sign in');
      });

      if (ex.routeTable) it('covers each role alone, allowed and denied', () => {
        const all = cases(ex);
        const levels = routeTable(ex).roles.map(([level]) => level);
        levels.forEach((level, i) => {
          const mine = all.filter((c) => levelOf(ex, c.roles) === level);
          assert.ok(mine.some((c) => c.expect === 'allow'), `no case allows ${level}`);
          if (i < levels.length - 1) assert.ok(mine.some((c) => c.expect === 'deny'), `no case denies ${level}`);
        });
      });

      if (ex.routeTable) it('covers the admin-only routes: allowed to the admin role alone, denied to a lower role', () => {
        const all = cases(ex);
        const levels = routeTable(ex).roles.map(([level]) => level);
        const top = levels[levels.length - 1];
        const key = (c: Case): string => `${c.method} ${c.url}`;
        const adminAllowed = new Set(all.filter((c) => c.expect === 'allow' && levelOf(ex, c.roles) === top).map(key));
        const deniedBelow = all.filter((c) => c.expect === 'deny' && levelOf(ex, c.roles) !== undefined && levelOf(ex, c.roles) !== top);
        const both = deniedBelow.filter((c) => adminAllowed.has(key(c)));
        assert.ok(both.length >= 2, `fewer than two admin-only requests are tested both ways (allowed to ${String(top)}, denied below)`);
      });

      it('covers ambiguous paths with bad_request: each kind at least once, five or more in all', () => {
        const bad = cases(ex).filter((c) => c.expect === 'bad_request');
        assert.ok(bad.length >= 5, `only ${bad.length} bad_request cases`);
        for (const [what, test] of AMBIGUOUS) {
          assert.ok(bad.some((c) => test(rawPath(c.url))), `no bad_request case with ${what}`);
        }
      });
    });
  }
});
