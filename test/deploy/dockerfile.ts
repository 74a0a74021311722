/** A line parser for Dockerfiles, a matcher for the allow-list style of .dockerignore used here, and an import scanner. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { rel } from './support.js';

/** One instruction: its keyword (upper case), its arguments, and the line it starts on. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** A build stage: its base image, its name (`AS name`), and its instructions after FROM. */
export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Splits a Dockerfile into logical instructions: comments dropped, `\` continuations joined. */
export function instructions(text: string): Instruction[] {
  assert.ok(!/^#\s*escape\s*=/im.test(text), 'an escape directive is not supported by this parser');
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*#/.test(raw)) return; // comments, also inside a continuation
    if (pending === undefined && raw.trim() === '') return;
    const continues = /\\\s*$/.test(raw);
    const part = continues ? raw.replace(/\\\s*$/, '') : raw;
    pending = pending === undefined ? { text: part, line: i + 1 } : { text: `${pending.text} ${part.trim()}`, line: pending.line };
    if (continues) return;
    const [keyword = '', ...rest] = pending.text.trim().split(/\s+/);
    out.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: pending.line });
    pending = undefined;
  });
  assert.equal(pending, undefined, 'the Dockerfile ends inside a line continuation');
  return out;
}

/** The stages of a Dockerfile, in order. */
export function stages(text: string): Stage[] {
  const out: Array<{ image: string; name: string | undefined; instructions: Instruction[] }> = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const [image = '', as, name] = words;
      out.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      const current = out[out.length - 1];
      assert.ok(current !== undefined || ['ARG'].includes(ins.keyword), `line ${ins.line}: ${ins.keyword} before the first FROM`);
      current?.instructions.push(ins);
    }
  }
  return out;
}

/** The tag of an image reference (`undefined` when there is none), and whether it is pinned by digest. */
export function imageTag(image: string): { tag: string | undefined; digest: boolean } {
  const [ref = '', digest] = image.split('@');
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return { tag: colon > slash ? ref.slice(colon + 1) : undefined, digest: digest !== undefined };
}

/** The exec form (`["a", "b"]`) of an instruction's arguments, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  assert.ok(Array.isArray(parsed) && parsed.every((p) => typeof p === 'string'), `not an exec form: ${args}`);
  return parsed;
}

/** The `--flag=value` options and the remaining words of COPY/ADD arguments. */
export function copyArgs(args: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = new Map<string, string>();
  while (words[0]?.startsWith('--') === true) {
    const [k = '', v = ''] = (words.shift() ?? '').slice(2).split('=');
    flags.set(k, v);
  }
  const dest = words.pop() ?? '';
  return { flags, sources: words, dest };
}

/**
 * Whether the build context includes `path`, per .dockerignore (last matching pattern wins). Supports only what
 * the shipped file uses, `*` and literal paths with an optional `!`; anything else fails, so the test can't guess.
 */
export function inContext(dockerignore: string, path: string): boolean {
  let included = true;
  for (const raw of dockerignore.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
    assert.ok(pattern === '*' || !/[*?[\]]/.test(pattern), `.dockerignore pattern ${line} is beyond this test's matcher`);
    const clean = path.replace(/^\.\/|\/+$/g, '');
    const matches = pattern === '*' ? true : clean === pattern || clean.startsWith(`${pattern}/`);
    if (matches) included = negate;
  }
  return included;
}

/** Bare package imports (→ the importing file) of compiled ES modules reachable through static imports from `entry` (dynamic import() is lazy). */
export function staticPackageImports(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? '';
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
        packages.set(name, rel(file));
      }
    }
  };
  visit(entry);
  return packages;
}
