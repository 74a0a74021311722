/**
 * A small PromQL reader: enough to list the series selectors, their label matchers, and the labels named in
 * grouping clauses (`by`, `without`, `on`, `ignoring`, `group_left`, `group_right`). It does not evaluate.
 */
import assert from 'node:assert/strict';

/** One label matcher, e.g. `decision="deny"` or `decision=~"deny|error"`. */
export interface Matcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** One series selector: a metric name and its matchers. */
export interface Selector {
  readonly metric: string;
  readonly matchers: readonly Matcher[];
}

/** What an expression reads. */
export interface Reads {
  readonly selectors: readonly Selector[];
  readonly groupingLabels: readonly string[];
}

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
/** Aggregations may be followed by `by (…)` before their parenthesis: `sum by (job) (x)`. */
const AGGREGATIONS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio'];
const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan', 'start', 'end', ...GROUPING, ...AGGREGATIONS]);
const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;

/** Reads the selectors and grouping labels of `expr`; throws on a malformed matcher list. */
export function readPromql(expr: string): Reads {
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < expr.length && /\s/.test(expr[i] ?? '')) i++;
  };
  const readString = (): string => {
    const quote = expr[i];
    let out = '';
    for (i++; i < expr.length && expr[i] !== quote; i++) out += expr[i] === '\\' ? (expr[++i] ?? '') : expr[i];
    assert.ok(i < expr.length, `unterminated string in: ${expr}`);
    i++;
    return out;
  };
  const readIdent = (): string | undefined => {
    IDENT.lastIndex = i;
    const m = IDENT.exec(expr);
    if (m === null) return undefined;
    i += m[0].length;
    return m[0];
  };
  const readMatchers = (): Matcher[] => {
    const out: Matcher[] = [];
    for (i++; ; ) {
      skipSpace();
      if (expr[i] === ',') { i++; continue; }
      if (expr[i] === '}') { i++; return out; }
      const label = readIdent();
      assert.ok(label !== undefined, `label name expected at ${i} in: ${expr}`);
      skipSpace();
      const op = (['=~', '!~', '!=', '='] as const).find((o) => expr.startsWith(o, i));
      assert.ok(op !== undefined, `matcher operator expected after ${label} in: ${expr}`);
      i += op.length;
      skipSpace();
      assert.ok(expr[i] === '"' || expr[i] === "'" || expr[i] === '`', `quoted value expected for ${label} in: ${expr}`);
      out.push({ label, op, value: readString() });
    }
  };
  while (i < expr.length) {
    const c = expr[i] ?? '';
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"' || c === "'" || c === '`') { readString(); continue; }
    if (c === '#') { while (i < expr.length && expr[i] !== '\n') i++; continue; }
    if (c === '[') { while (i < expr.length && expr[i] !== ']') i++; i++; continue; } // range or subquery
    if (c === '{') { selectors.push(named('', readMatchers())); continue; }
    if (/[0-9.]/.test(c)) { while (i < expr.length && /[0-9a-zA-Z._]/.test(expr[i] ?? '')) i++; continue; }
    const ident = readIdent();
    if (ident === undefined) { i++; continue; }
    skipSpace();
    if (GROUPING.has(ident) && expr[i] === '(') {
      const close = expr.indexOf(')', i);
      assert.ok(close > i, `unclosed ${ident}( in: ${expr}`);
      groupingLabels.push(...expr.slice(i + 1, close).split(',').map((s) => s.trim()).filter((s) => s !== ''));
      i = close + 1;
    } else if (expr[i] === '{') selectors.push(named(ident, readMatchers()));
    else if (expr[i] !== '(' && !KEYWORDS.has(ident)) selectors.push({ metric: ident, matchers: [] });
  }
  return { selectors, groupingLabels };
}

/** A selector whose name may be given as a `__name__` matcher. */
function named(metric: string, matchers: Matcher[]): Selector {
  const byName = matchers.find((m) => m.label === '__name__' && m.op === '=');
  return { metric: metric !== '' ? metric : (byName?.value ?? ''), matchers: matchers.filter((m) => m !== byName) };
}
