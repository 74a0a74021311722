/**
 * Reading the docs as GitHub renders them: heading anchors (GitHub's slug rules), relative links and the names of
 * codes, metrics, variables and files they mention. Used by the docs consistency test; pure but for linkProblems,
 * which reads the files a link names.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** One line of a markdown file outside fenced code blocks, with its 1-based number. */
interface ProseLine {
  readonly text: string;
  readonly line: number;
}

/** The lines outside ``` and ~~~ fences (a fence closes only with the same marker). */
function proseLines(markdown: string): ProseLine[] {
  const out: ProseLine[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, i) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker !== undefined && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence === undefined) out.push({ text, line: i + 1 });
  });
  return out;
}

/** A line with its inline code spans (`` `a` ``, ``` `` b `` ```) blanked, so nothing inside them counts as a link. */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (m) => ' '.repeat(m.length));
}

/**
 * GitHub's anchor for a heading's text: the rendered text (code spans, links, emphasis and HTML reduced to their
 * text) lower-cased, every character but letters, digits, marks, `_`, `-` and spaces dropped, spaces turned into `-`.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '');
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** Every anchor a file's headings give, with GitHub's `-1`, `-2` … for repeated slugs, and explicit `<a id>`/`<a name>`. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1] ?? '');
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** One link target of a markdown file, with the line it is on. */
export interface Link {
  readonly target: string;
  readonly line: number;
}

/** Inline links and images (`[text](target)`, `![alt](target "title")`) and reference definitions, outside code. */
export function links(markdown: string): Link[] {
  const out: Link[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = withoutCodeSpans(text);
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1] ?? '', line });
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(prose)?.[1];
    if (def !== undefined) out.push({ target: def, line });
  }
  return out;
}

/** Whether a link leaves the repository: a URL with a scheme (`https:`, `mailto:` …) or a protocol-relative `//host`. */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * Every relative link of the given files (paths relative to root) that does not resolve: to a file or folder inside
 * the repository, and for `#anchor` to a heading of that markdown file. One `file:line: target: problem` each.
 */
export function linkProblems(root: string, files: readonly string[]): string[] {
  const problems: string[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (file: string): Set<string> => {
    let a = anchorsOf.get(file);
    if (a === undefined) anchorsOf.set(file, a = headingAnchors(readFileSync(file, 'utf8')));
    return a;
  };
  for (const file of files) {
    const from = resolve(root, file);
    for (const { target, line } of links(readFileSync(from, 'utf8'))) {
      if (isExternal(target)) continue;
      const problem = (p: string): void => { problems.push(`${file}:${line}: ${target}: ${p}`); };
      const hash = target.indexOf('#');
      const path = hash < 0 ? target : target.slice(0, hash);
      const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const to = path === '' ? from : resolve(dirname(from), decodeURIComponent(path));
      if (to !== resolve(root) && !to.startsWith(resolve(root) + sep)) { problem('points outside the repository'); continue; }
      if (!existsSync(to)) { problem(`${relative(root, to)} does not exist`); continue; }
      if (anchor === undefined) continue;
      if (statSync(to).isDirectory() || !to.endsWith('.md')) { problem('an anchor into something that is not a markdown file'); continue; }
      if (!anchors(to).has(anchor)) problem(`no heading in ${relative(root, to)} has the anchor #${anchor}`);
    }
  }
  return problems;
}

/** The names a doc mentions that the code must have. */
export interface Mentions {
  /** Error codes, `ERR_…`. */
  readonly codes: string[];
  /** Metric names, `keygate_…`; a name written with a trailing `*` (`keygate_process_*`) is kept as the prefix plus `*`. */
  readonly metrics: string[];
  /** Environment variables, `KEYGATE_…`. */
  readonly variables: string[];
  /** Nested configuration keys in code spans, `cookie.secure`, `idp.*`. */
  readonly configKeys: string[];
  /** Source and test files, `src/…​.ts`, `test/…​.ts` (paths with a `*` are patterns and left out). */
  readonly files: string[];
}

const unique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** The names a markdown file mentions, in prose and in code. `sections` are the configuration's nested sections. */
export function mentions(markdown: string, sections: readonly string[]): Mentions {
  const nested = new RegExp(`^(?:${sections.join('|')})\\.(?:[A-Za-z]+|\\*)(?=$|[\\s:])`);
  const spans = [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => (m[1] ?? '').trim());
  return {
    codes: unique([...markdown.matchAll(/\bERR_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0])),
    // `$keygate_cookie` is an nginx variable, not a metric.
    metrics: unique([...markdown.matchAll(/(?<![$\w-])keygate_[a-z0-9_]*(?:[a-z0-9]|_\*)/g)].map((m) => m[0])),
    variables: unique([...markdown.matchAll(/\bKEYGATE_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0])),
    configKeys: unique(spans.map((s) => nested.exec(s)?.[0]).filter((k): k is string => k !== undefined)),
    files: unique([...markdown.matchAll(/(?<![\w/.-])(?:src|test)\/[\w./-]*\w\.ts(?![\w*])/g)].map((m) => m[0])),
  };
}

/** README.md and every markdown file under docs/, relative to root (with `/`), in a stable order. */
export function docFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.md')) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  if (existsSync(join(root, 'docs'))) walk(join(root, 'docs'));
  return ['README.md', ...out];
}
