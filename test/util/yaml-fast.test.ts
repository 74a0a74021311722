/**
 * The fast YAML subset parser must agree with the `yaml` package (through parseYamlSource) on every
 * document it accepts, values and positions alike, and must refuse what it does not cover.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseYamlFast } from '../../src/util/yaml-fast.js';
import { parseYamlSource } from '../../src/util/yaml-source.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every path to a value in `v`. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

/** Asserts the fast parse of `text` (when it accepts it) equals the full parse, positions included. */
function agree(text: string, label: string): boolean {
  const fast = parseYamlFast(text, 'f.yaml');
  if (fast === undefined) return false;
  const full = parseYamlSource(text, 'f.yaml');
  assert.deepEqual(full.errors, [], `${label}: the full parser found errors in a document the fast one accepted`);
  assert.deepEqual(fast.value, full.value, `${label}: values differ`);
  for (const p of paths(full.value)) {
    const isNull = p.length > 0 && p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], full.value) === null;
    if (!isNull) assert.deepEqual(fast.at(p), full.at(p), `${label}: position of ${JSON.stringify(p)}`);
    if (typeof p[p.length - 1] === 'string') assert.deepEqual(fast.at(p, true), full.at(p, true), `${label}: key position of ${JSON.stringify(p)}`);
  }
  return true;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

describe('parseYamlFast', () => {
  it('agrees with the full parser on every YAML file under examples/', () => {
    let accepted = 0;
    for (const file of yamlFiles(join(ROOT, 'examples'))) if (agree(readFileSync(file, 'utf8'), file)) accepted++;
    assert.ok(accepted >= 1, 'at least the policies are in the subset');
  });

  it('accepts every example policy', () => {
    for (const file of yamlFiles(join(ROOT, 'examples')).filter((f) => f.endsWith('policy.yaml'))) {
      assert.notEqual(parseYamlFast(readFileSync(file, 'utf8'), file), undefined, file);
    }
  });

  const accepted: { name: string; input: string }[] = [
    { name: 'scalars of the core schema', input: 'a: 1\nb: -7\nc: true\nd: False\ne: null\nf: ~\ng: text with spaces\nh: yes\ni: "quoted: # not a comment"\nj: \'it\'\'s\'\n' },
    { name: 'comments everywhere', input: '# head\na: 1 # trailing\n  # indented comment\nb:\n  # inside\n  - x # c\n' },
    { name: 'a sequence at the key\'s indentation', input: 'rules:\n- name: a\n  allow: public\n- name: b\n  deny: true\nafter: 1\n' },
    { name: 'nested mappings and compact mappings', input: 'rules:\n  - name: a\n    allow:\n      - anyRole: [x, "y:z"]\n        users: [u]\n      - anyGroup: [/g/h]\n' },
    { name: 'empty flow list and empty value', input: 'a: []\nb:\nc: [ a ,b ]\n' },
    { name: 'plain scalars with inner punctuation', input: 'a: /api/{ns}/**\nb: x#y\nc: a:b\nd: temporal-{ns}-writer\n' },
  ];
  for (const { name, input } of accepted) {
    it(`accepts and agrees: ${name}`, () => assert.equal(agree(input, name), true));
  }

  const refused: { name: string; input: string }[] = [
    { name: 'anchors and aliases', input: 'a: &x 1\nb: *x\n' },
    { name: 'tags', input: 'a: !!str 1\n' },
    { name: 'block scalars', input: 'a: |\n  text\n' },
    { name: 'flow mappings', input: 'a: { b: 1 }\n' },
    { name: 'multi-line plain scalars', input: 'a: one\n  two\n' },
    { name: 'escapes in double quotes', input: 'a: "x\\ty"\n' },
    { name: 'floats', input: 'a: 1.5\n' },
    { name: 'hex and octal', input: 'a: 0x1F\nb: 0o7\n' },
    { name: 'leading zeros', input: 'a: 007\n' },
    { name: 'tabs', input: 'a:\t1\n' },
    { name: 'CRLF line ends', input: 'a: 1\r\n' },
    { name: 'duplicate keys', input: 'a: 1\na: 2\n' },
    { name: 'quoted keys', input: '"a": 1\n' },
    { name: 'a document marker', input: '---\na: 1\n' },
    { name: 'a top-level list', input: '- a\n' },
    { name: 'bad indentation', input: 'a:\n    b: 1\n  c: 2\n' },
    { name: 'an unquoted wildcard host', input: 'hosts: [*.example.com]\n' },
    { name: 'a colon inside a flow plain scalar', input: 'a: [x:y]\n' },
    { name: 'an empty document', input: '# nothing\n' },
  ];
  for (const { name, input } of refused) {
    it(`refuses: ${name}`, () => assert.equal(parseYamlFast(input, 'f.yaml'), undefined));
  }

  it('agrees with the full parser on random documents built from tricky scalars', () => {
    const scalars = [
      'a', 'x y', '1', '-1', '+1', '0', '-0', '007', '1.0', '1e3', '.inf', '.nan', '0x1F', 'null', 'Null', '~', 'true', 'TRUE', 'yes', 'no', 'on',
      '"q"', "'s'", "'it''s'", '"a # b"', '"a: b"', 'a:b', 'a#b', '/p/{x}/**', '"*.example.com"', '*x', '&x', '!x', '%x', '@x', '`x', '-x', '- x',
      '?x', ':x', '[a]', '[a, b]', '[]', '[ "a" , \'b\' ]', '[a:b]', '{a}', 'é', 'a,b', 'x #c', '"unterminated', "'x'y", '""', "''",
    ];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const block = (depth: number, indent: string): string[] => {
      const lines: string[] = [];
      const keys = ['a', 'b', 'c_d', 'e-f'].slice(0, 1 + rand(4));
      for (const k of keys) {
        const kind = depth > 2 ? 0 : rand(4);
        if (kind === 0) lines.push(`${indent}${k}: ${scalars[rand(scalars.length)]}`);
        else if (kind === 1) lines.push(`${indent}${k}:`, ...block(depth + 1, `${indent}  `));
        else {
          lines.push(`${indent}${k}:`);
          const itemIndent = kind === 2 ? indent : `${indent}  `;
          for (let i = 0; i < 1 + rand(3); i++) {
            if (rand(2) === 0) lines.push(`${itemIndent}- ${scalars[rand(scalars.length)]}`);
            else {
              const inner = block(depth + 1, `${itemIndent}  `);
              lines.push(`${itemIndent}- ${(inner[0] ?? 'z: 1').trimStart()}`, ...inner.slice(1));
            }
          }
        }
      }
      return lines;
    };
    let accepted = 0;
    for (let i = 0; i < 3000; i++) if (agree(`${block(0, '').join('\n')}\n`, `random document ${i}`)) accepted++;
    assert.ok(accepted > 300, `the fast parser should accept a good share (accepted ${accepted})`);
  });

  it('agrees on a generated 2,000-rule policy', () => {
    const rules: string[] = [];
    for (let i = 0; i < 2000; i++) {
      rules.push(`  - name: r${i}\n    hosts: [h${i % 50}.example.com, "*.w${i % 7}.example.com"]\n    paths: ["/api/s${i}/{id}/**", /x${i}]\n    methods: [GET, POST]\n    allow:\n      - anyRole: ["role-{id}", 'admin']\n      - anyGroup: [/g/${i}]`);
    }
    assert.equal(agree(`version: 1\ndefault: deny\nrules:\n${rules.join('\n')}\n`, 'generated'), true);
  });
});
