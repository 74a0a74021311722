/**
 * A fast parser for the plain block-YAML subset that policy files are written in: block mappings
 * with plain keys, block sequences (also at the parent key's indentation), one-line flow sequences
 * of scalars, plain and quoted scalars (YAML 1.2 core schema), and comments.
 *
 * The `yaml` package parses about 1 MB/s; a 10,000-rule policy must load in well under a second.
 * Anything outside the subset (anchors, tags, block scalars, flow mappings, multi-line scalars,
 * escapes, duplicate keys, tabs, numbers other than plain integers...) returns undefined, and the
 * caller uses parseYamlSource instead. A differential test checks values and positions against it.
 * This file holds the block structure and positions; yaml-fast-scalars.ts resolves the scalars.
 */
import { bail, plain, quoted, trailer, UNSUPPORTED } from './yaml-fast-scalars.js';
import type { YamlSource } from './yaml-source.js';

/** Positions: a scalar is its packed position; containers keep their children's. */
type PosNode = number | MapNode | SeqNode;
interface MapNode {
  readonly pos: number;
  /** Parallel arrays (maps are small; plain arrays keep a 10,000-rule file cheap to hold). */
  readonly keys: string[];
  readonly keyPos: number[];
  readonly values: PosNode[];
}
interface SeqNode {
  readonly pos: number;
  readonly items: PosNode[];
}
type Frame =
  | { readonly kind: 'map'; readonly indent: number; readonly obj: Record<string, unknown>; readonly node: MapNode }
  | { readonly kind: 'seq'; readonly indent: number; readonly arr: unknown[]; readonly node: SeqNode };
interface Pending {
  readonly frame: Frame & { kind: 'map' };
  readonly key: string;
  readonly keyPos: number;
}

const COL_BITS = 2 ** 24;
const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: |$)/;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\ufeff]/;

/** Parses `text` if it stays inside the subset; undefined means "use parseYamlSource". Never throws. */
export function parseYamlFast(text: string, file: string): YamlSource | undefined {
  if (text.includes('\t') || text.includes('\r') || CONTROL.test(text)) return undefined;
  try {
    const { value, root } = new FastParser(text).run();
    return { file, value, errors: [], at: (path, key = false) => unpack(locate(root, path, key)) };
  } catch (err) {
    if (err === UNSUPPORTED) return undefined;
    throw err;
  }
}

function pack(line: number, column: number): number {
  if (column >= COL_BITS) bail();
  return line * COL_BITS + column;
}

function unpack(pos: number): { line: number; column: number } {
  return { line: Math.floor(pos / COL_BITS), column: pos % COL_BITS };
}

function posOf(node: PosNode): number {
  return typeof node === 'number' ? node : node.pos;
}

/** Mirrors YamlSource.at: the node at `path` (its key with `key`), else the nearest parent found. */
function locate(root: PosNode, path: readonly (string | number)[], key: boolean): number {
  let node: PosNode | undefined = root;
  let best = pack(1, 1); // like YamlSource.at, which starts from offset 0
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    if (typeof node === 'object' && 'keys' in node) {
      const k = node.keys.indexOf(String(part));
      const keyPos = node.keyPos[k];
      if (keyPos === undefined) break;
      best = keyPos;
      if (i === path.length - 1 && key) return best;
      node = node.values[k];
    } else if (typeof node === 'object' && typeof part === 'number') {
      node = node.items[part];
    } else {
      break;
    }
    if (node === undefined) break;
    best = posOf(node);
  }
  return best;
}

class FastParser {
  readonly #text: string;
  readonly #stack: Frame[] = [];
  #pending: Pending | undefined;
  #root: Frame | undefined;
  #line = 0;

  constructor(text: string) {
    this.#text = text;
  }

  run(): { value: unknown; root: PosNode } {
    const text = this.#text;
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      this.#line++;
      this.#handleLine(text.slice(start, end));
      start = end + 1;
    }
    this.#resolvePending(-1, '');
    const root = this.#root;
    if (root === undefined) bail();
    return { value: root.kind === 'map' ? root.obj : root.arr, root: root.node };
  }

  #handleLine(line: string): void {
    let indent = 0;
    while (line.charCodeAt(indent) === 0x20) indent++;
    const content = line.slice(indent).trimEnd();
    if (content === '' || content.startsWith('#')) return;
    if (indent === 0 && (content.startsWith('---') || content.startsWith('...') || content.startsWith('%'))) bail();
    const isItem = content === '-' || content.startsWith('- ');
    this.#resolvePending(indent, content);
    if (this.#root === undefined) {
      if (isItem) bail();
      this.#push(this.#newMap(indent, pack(this.#line, indent + 1)));
    }
    let top = this.#unwind(indent);
    if (top.kind === 'seq' && !isItem) {
      // A key line at a sequence's indentation ends it (the `key:\n- item` style).
      this.#stack.pop();
      top = this.#unwind(indent);
    }
    if (top.kind === 'seq') this.#item(top, indent, content);
    else if (isItem) bail();
    else this.#keyValue(top, indent, content);
  }

  /** Pops frames deeper than `indent`; the frame left must sit exactly at `indent`. */
  #unwind(indent: number): Frame {
    let top = this.#stack[this.#stack.length - 1];
    while (top !== undefined && top.indent > indent) {
      this.#stack.pop();
      top = this.#stack[this.#stack.length - 1];
    }
    if (top === undefined || top.indent !== indent) bail();
    return top;
  }

  /** A `key:` without inline value takes the following deeper block (or same-indent sequence), else null. */
  #resolvePending(indent: number, content: string): void {
    const p = this.#pending;
    if (p === undefined) return;
    this.#pending = undefined;
    const isItem = content === '-' || content.startsWith('- ');
    const pos = pack(this.#line, indent + 1);
    if (indent > p.frame.indent || (indent === p.frame.indent && isItem)) {
      const child = isItem ? this.#newSeq(indent, pos) : this.#newMap(indent, pos);
      this.#set(p.frame, p.key, child.kind === 'map' ? child.obj : child.arr, p.keyPos, child.node);
      this.#push(child);
    } else {
      this.#set(p.frame, p.key, null, p.keyPos, p.keyPos);
    }
  }

  #keyValue(frame: Frame & { kind: 'map' }, indent: number, content: string): void {
    const m = KEY.exec(content);
    const key = m?.[1];
    if (m === null || key === undefined || key === '__proto__' || Object.hasOwn(frame.obj, key)) bail();
    const keyPos = pack(this.#line, indent + 1);
    let restStart = m[0].length;
    while (content.charCodeAt(restStart) === 0x20) restStart++;
    const rest = content.slice(restStart);
    if (rest === '' || rest.startsWith('#')) {
      this.#pending = { frame, key, keyPos };
      return;
    }
    const { value, node } = this.#inline(rest, indent + 1 + restStart);
    this.#set(frame, key, value, keyPos, node);
  }

  #item(frame: Frame & { kind: 'seq' }, indent: number, content: string): void {
    if (content === '-') bail();
    let restStart = 2;
    while (content.charCodeAt(restStart) === 0x20) restStart++;
    const rest = content.slice(restStart);
    const column = indent + 1 + restStart;
    if (rest.startsWith('- ') || rest === '-') bail();
    if (KEY.test(rest)) {
      // A compact mapping: `- name: x`, continued by keys at the same column.
      const map = this.#newMap(column - 1, pack(this.#line, column));
      frame.arr.push(map.obj);
      frame.node.items.push(map.node);
      this.#push(map);
      this.#keyValue(map, column - 1, rest);
      return;
    }
    const { value, node } = this.#inline(rest, column);
    frame.arr.push(value);
    frame.node.items.push(node);
  }

  /** An inline value starting at `column`: a flow sequence, a quoted or a plain scalar. */
  #inline(text: string, column: number): { value: unknown; node: PosNode } {
    const pos = pack(this.#line, column);
    if (text.startsWith('[')) return this.#flowSeq(text, column);
    if (text.startsWith('"') || text.startsWith("'")) {
      const { value, end } = quoted(text, 0);
      trailer(text, end);
      return { value, node: pos };
    }
    const hash = text.indexOf(' #');
    return { value: plain(hash === -1 ? text : text.slice(0, hash).trimEnd(), false), node: pos };
  }

  #flowSeq(text: string, column: number): { value: unknown; node: PosNode } {
    const node: SeqNode = { pos: pack(this.#line, column), items: [] };
    const arr: unknown[] = [];
    let i = 1;
    for (;;) {
      while (text.charCodeAt(i) === 0x20) i++;
      if (text[i] === ']' && arr.length === 0) break;
      const itemPos = pack(this.#line, column + i);
      let value: unknown;
      if (text[i] === '"' || text[i] === "'") {
        const q = quoted(text, i);
        value = q.value;
        i = q.end;
        while (text.charCodeAt(i) === 0x20) i++;
      } else {
        let j = i;
        while (j < text.length && text[j] !== ',' && text[j] !== ']') j++;
        value = plain(text.slice(i, j).trim(), true);
        i = j;
      }
      arr.push(value);
      node.items.push(itemPos);
      if (text[i] === ']') break;
      if (text[i] !== ',') bail();
      i++;
    }
    trailer(text, i + 1);
    return { value: arr, node };
  }

  #newMap(indent: number, pos: number): Frame & { kind: 'map' } {
    return { kind: 'map', indent, obj: {}, node: { pos, keys: [], keyPos: [], values: [] } };
  }

  #newSeq(indent: number, pos: number): Frame & { kind: 'seq' } {
    return { kind: 'seq', indent, arr: [], node: { pos, items: [] } };
  }

  #push(frame: Frame): void {
    this.#root ??= frame;
    this.#stack.push(frame);
  }

  #set(frame: Frame & { kind: 'map' }, key: string, value: unknown, keyPos: number, node: PosNode): void {
    frame.obj[key] = value;
    frame.node.keys.push(key);
    frame.node.keyPos.push(keyPos);
    frame.node.values.push(node);
  }
}
