/**
 * Role and group templates: `temporal-{namespace}-writer` with `{namespace}` captured by the rule's
 * path patterns. Parsed once at load; expansion allocates only when the template has variables.
 */

/** A parsed template: `parts` alternates literal text (even indexes) and variable names (odd indexes). */
export interface Template {
  readonly source: string;
  readonly parts: readonly string[];
  /** Variable names used, in order of appearance. */
  readonly vars: readonly string[];
  /**
   * For a pattern (a `*` outside `{}`, issue 13): the text between the stars, each a template without
   * stars. Undefined for a plain value. A `*` in a captured value is never a wildcard: captures are
   * substituted into the pieces, which are matched literally.
   */
  readonly glob: readonly Template[] | undefined;
  /** The texts of `glob` when the template has no variables (prepared once: matching then never allocates). */
  readonly globText: readonly string[] | undefined;
}

/** Result of parseTemplate. */
export type ParsedTemplate = { readonly ok: true; readonly template: Template } | { readonly ok: false; readonly message: string };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses a template, or says which constraint it breaks. */
export function parseTemplate(source: string): ParsedTemplate {
  const parts: string[] = [];
  const vars: string[] = [];
  let rest = source;
  for (;;) {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (open === -1) {
      if (close !== -1) return bad(`has "}" without "{", got ${JSON.stringify(source)}`);
      parts.push(rest);
      break;
    }
    if (close === -1 || close < open) return bad(`has unbalanced braces, got ${JSON.stringify(source)}`);
    const name = rest.slice(open + 1, close);
    if (!IDENT.test(name)) return bad(`needs "{name}" with letters, digits and "_" not starting with a digit, got ${JSON.stringify(source)}`);
    parts.push(rest.slice(0, open), name);
    vars.push(name);
    rest = rest.slice(close + 1);
  }
  const glob = globPieces(parts);
  const globText = glob !== undefined && vars.length === 0 ? glob.map((p) => p.source) : undefined;
  return { ok: true, template: { source, parts, vars, glob, globText } };
}

/** Splits a template's literal parts at each `*` into star-free piece templates; undefined without a `*`. */
function globPieces(parts: readonly string[]): Template[] | undefined {
  if (!parts.some((p, i) => i % 2 === 0 && p.includes('*'))) return undefined;
  const pieces: Template[] = [];
  let current: string[] = [''];
  const close = (): void => {
    const vars = current.filter((_, i) => i % 2 === 1);
    const text = current.map((p, i) => (i % 2 === 1 ? `{${p}}` : p)).join('');
    pieces.push({ source: text, parts: current, vars, glob: undefined, globText: undefined });
  };
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      current.push(part, '');
      return;
    }
    const chunks = part.split('*');
    chunks.forEach((chunk, j) => {
      if (j > 0) {
        close();
        current = [''];
      }
      current[current.length - 1] += chunk;
    });
  });
  close();
  return pieces;
}

function bad(message: string): ParsedTemplate {
  return { ok: false, message };
}

/**
 * Substitutes captures into the template. Load checks that every variable is captured; should one
 * still be missing, the result is undefined and the caller treats the value as not held (fail closed).
 */
export function expand(template: Template, captures: Readonly<Record<string, string>>): string | undefined {
  if (template.vars.length === 0) return template.source;
  let out = '';
  for (let i = 0; i < template.parts.length; i++) {
    const part = template.parts[i] ?? '';
    if (i % 2 === 0) {
      out += part;
    } else {
      const value = captures[part];
      if (value === undefined) return undefined;
      out += value;
    }
  }
  return out;
}
