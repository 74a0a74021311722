/**
 * The indexed matcher (hosts → first segment → linked candidates) must pick exactly the rule that a
 * naive first-match scan over all rules picks, with the same captures, on a large random policy.
 * Path matching itself is cross-checked against an independent regex translation of each pattern.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompiledPolicy } from '../../src/policy/compiled.js';
import { matchRule, type MatchTarget } from '../../src/policy/evaluate.js';
import { hostMatches } from '../../src/policy/host-pattern.js';
import { readCaptures, testPath, type PathPattern } from '../../src/policy/path-pattern.js';
import { buildPolicy, type RuleInput } from './fixtures.js';

/** mulberry32: a small deterministic PRNG, so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEGMENTS = ['api', 'ui', 'v1', 'items', 'admin', 'x', 'health', 'ns'];
const HOSTS = ['a.example.com', 'b.example.com', 'c.d.example.com', 'example.com', 'other.test', 'x.other.test'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function randomPattern(r: () => number): string {
  const n = Math.floor(r() * 4);
  const segs: string[] = [];
  let captures = 0;
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.55) segs.push(pick(r, SEGMENTS));
    else if (k < 0.7) segs.push('*');
    else if (k < 0.85) segs.push('**');
    else segs.push(`{c${captures++}}`);
  }
  if (r() < 0.3) segs.push('**');
  return `/${segs.join('/')}`;
}

function randomRule(r: () => number, i: number): RuleInput {
  const rule: { -readonly [K in keyof RuleInput]: RuleInput[K] } = { name: `r${i}`, allow: 'public' };
  const h = r();
  if (h < 0.5) rule.hosts = [pick(r, HOSTS)];
  else if (h < 0.65) rule.hosts = [pick(r, ['*.example.com', '*.d.example.com', '*.other.test']), pick(r, HOSTS)];
  if (r() < 0.85) rule.paths = Array.from({ length: 1 + Math.floor(r() * 2) }, () => randomPattern(r));
  if (r() < 0.4) rule.methods = [...new Set([pick(r, METHODS), pick(r, METHODS)])];
  return rule;
}

function randomTarget(r: () => number): MatchTarget {
  const n = Math.floor(r() * 5);
  const segs = Array.from({ length: n }, () => (r() < 0.8 ? pick(r, SEGMENTS) : `s${Math.floor(r() * 3)}`));
  const path = `/${segs.join('/')}${n > 0 && r() < 0.15 ? '/' : ''}`;
  const host = r() < 0.9 ? pick(r, HOSTS) : pick(r, ['new.example.com', 'z.d.example.com', 'unknown.test']);
  return { method: r() < 0.05 ? 'PROPFIND' : pick(r, METHODS), host, path };
}

/** First match by scanning every rule in order, with no index. */
function naiveMatch(policy: CompiledPolicy, t: MatchTarget): { name: string; captures: Record<string, string> } {
  const slots = new Int32Array(64);
  for (const rule of policy.rules) {
    if (rule.hosts !== undefined && !rule.hosts.some((h) => hostMatches(h, t.host))) continue;
    if (rule.methods !== undefined && !rule.methods.some((m) => m === t.method)) continue;
    if (rule.paths === undefined) return { name: rule.name, captures: {} };
    const p = rule.paths.find((pattern) => testPath(pattern, t.path, slots));
    if (p !== undefined) return { name: rule.name, captures: readCaptures(p, t.path, slots) };
  }
  return { name: '(default)', captures: {} };
}

/** An independent translation of a pattern to a regex (trailing slash not significant). */
function toRegex(p: PathPattern): RegExp {
  if (p.tokens.length === 0) return /^\/$/;
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const body = p.tokens.map((t) => (t.kind === 'literal' ? `/${esc(t.text)}` : t.kind === 'any' ? '(?:/[^/]+)*' : '/[^/]+')).join('');
  return new RegExp(`^${body}/?$`);
}

describe('indexed matching equals a naive first-match scan', () => {
  for (const seed of [1, 2, 3]) {
    it(`2,000 random rules, 5,000 random targets (seed ${seed})`, () => {
      const r = rng(seed);
      const policy = buildPolicy(Array.from({ length: 2000 }, (_, i) => randomRule(r, i)));
      let matched = 0;
      for (let i = 0; i < 5000; i++) {
        const t = randomTarget(r);
        const got = matchRule(policy, t);
        const want = naiveMatch(policy, t);
        assert.deepEqual({ name: got.name, captures: { ...got.captures } }, want, `target ${JSON.stringify(t)}`);
        if (want.name !== '(default)') matched++;
      }
      assert.ok(matched > 1000, `the random policy should match often (matched ${matched})`);
    });
  }

  it('testPath agrees with a regex translation of every pattern', () => {
    const r = rng(42);
    const slots = new Int32Array(64);
    const policy = buildPolicy(Array.from({ length: 300 }, (_, i) => randomRule(r, i)));
    const patterns = policy.rules.flatMap((rule) => rule.paths ?? []);
    for (let i = 0; i < 3000; i++) {
      const t = randomTarget(r);
      for (const p of patterns) assert.equal(testPath(p, t.path, slots), toRegex(p).test(t.path), `${p.source} vs ${t.path}`);
    }
  });
});
