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
  return { ok: true, template: { source, parts, vars } };
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
