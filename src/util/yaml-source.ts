/** Parses YAML keeping node positions, so validators can report file:line:column. */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Problem } from './problems.js';

/** A parsed YAML document with a way to find the position of any path in it. */
export interface YamlSource {
  readonly file: string;
  /** The plain JS value of the document (undefined for an empty file). */
  readonly value: unknown;
  /** Syntax errors, each with its position. */
  readonly errors: readonly Problem[];
  /** Position of the node at `path` (the value; `key: true` for the key), falling back to the nearest parent. */
  at(path: readonly (string | number)[], key?: boolean): { line: number; column: number };
}

/** Parses `text` (named `file` in messages). Never throws. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): { line: number; column: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const errors: Problem[] = doc.errors.map((e) => {
    const p = pos(e.pos[0]);
    return { source: { kind: 'file', file, line: p.line, column: p.column }, path: '', message: `YAML syntax: ${e.message.split('\n')[0] ?? e.message}` };
  });
  let value: unknown;
  try {
    value = errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
  } catch (err) {
    errors.push({ source: { kind: 'file', file, line: 1, column: 1 }, path: '', message: `YAML: ${err instanceof Error ? err.message : String(err)}` });
  }
  const at = (path: readonly (string | number)[], key = false): { line: number; column: number } => {
    let node: unknown = doc.contents;
    let best = 0;
    for (let i = 0; i < path.length; i++) {
      const part = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(part));
        if (pair === undefined) break;
        const keyNode = pair.key as Node;
        if (keyNode.range) best = keyNode.range[0];
        if (last && key) return pos(best);
        node = pair.value;
      } else if (isSeq(node) && typeof part === 'number') {
        node = node.items[part];
      } else {
        break;
      }
      const n = node as Node | null | undefined;
      if (n?.range) best = n.range[0];
    }
    return pos(best);
  };
  return { file, value, errors, at };
}

/** Builds a Problem at `path` in `src`. */
export function problemAt(src: YamlSource, path: readonly (string | number)[], pathText: string, message: string, key = false): Problem {
  const p = src.at(path, key);
  return { source: { kind: 'file', file: src.file, line: p.line, column: p.column }, path: pathText, message };
}
