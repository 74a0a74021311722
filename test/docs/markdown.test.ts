/** The docs checker itself (test/docs/markdown.ts): slugs, anchors, links and mentions, and that a broken link fails. */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../support/proc.js';
import { githubSlug, headingAnchors, linkProblems, links, mentions } from './markdown.js';

describe('githubSlug follows GitHub\'s anchors', () => {
  const cases = [
    { name: 'plain words', input: 'Run against your Keycloak', want: 'run-against-your-keycloak' },
    { name: 'code span and parentheses', input: 'Secrets from files (`*_FILE`)', want: 'secrets-from-files-_file' },
    { name: 'colon, question mark and code', input: 'Step-up for runs: a recent sign-in before `create_flow_run`', want: 'step-up-for-runs-a-recent-sign-in-before-create_flow_run' },
    { name: 'apostrophe and comma', input: "No double auth: Prefect's own lock, stays on", want: 'no-double-auth-prefects-own-lock-stays-on' },
    { name: 'a link keeps its text', input: 'See [the policy](policy.md) now', want: 'see-the-policy-now' },
    { name: 'non-ASCII letters stay', input: 'Überblick & Ünits', want: 'überblick--ünits' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(githubSlug(c.input), c.want));
});

describe('headingAnchors', () => {
  it('numbers repeated headings, skips fenced code, and keeps explicit <a id>', () => {
    const md = '# Title\n## Traefik\n```sh\n# not a heading\n```\n## Traefik\n<a id="custom"></a>\n### Closing hashes ##\n';
    assert.deepEqual([...headingAnchors(md)].sort(), ['closing-hashes', 'custom', 'title', 'traefik', 'traefik-1']);
  });
});

describe('links', () => {
  it('finds inline links, images and definitions, but none inside code', () => {
    const md = 'See [a](a.md#x) and ![i](img.png "t"); `[no](code.md)` and `` [no](x) ``\n```\n[no](fenced.md)\n```\n[ref]: defs/b.md\n';
    assert.deepEqual(links(md), [{ target: 'a.md#x', line: 1 }, { target: 'img.png', line: 1 }, { target: 'defs/b.md', line: 5 }]);
  });
});

describe('linkProblems', () => {
  const root = tempDir('keygate-docs-');
  after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'docs', 'examples'), { recursive: true });
  mkdirSync(join(root, 'examples', 'demo'), { recursive: true });
  writeFileSync(join(root, 'examples', 'demo', 'policy.yaml'), 'version: 1\n');
  writeFileSync(join(root, 'docs', 'policy.md'), '# Policy\n## CLI\n');

  it('accepts files, folders, headings, same-file anchors and external URLs', () => {
    writeFileSync(join(root, 'README.md'), '# Top\n[p](docs/policy.md#cli) [d](examples/demo/) [f](examples/demo/policy.yaml) [s](#top) [w](https://example.com/x#y) [m](mailto:a@b.c)\n');
    writeFileSync(join(root, 'docs', 'examples', 'demo.md'), '[back](../../README.md#top) [policy](../policy.md)\n');
    assert.deepEqual(linkProblems(root, ['README.md', 'docs/examples/demo.md']), []);
  });
  it('reports a missing file, a missing heading, an anchor into a non-markdown file and a way out of the repository', () => {
    writeFileSync(join(root, 'docs', 'broken.md'), '# Broken\n[a](policy.md#no-such-heading)\n[b](missing.md)\n\n[c](../examples/demo/policy.yaml#x) [d](../../outside.md) [e](#broken-1)\n');
    assert.deepEqual(linkProblems(root, ['docs/broken.md']), [
      'docs/broken.md:2: policy.md#no-such-heading: no heading in docs/policy.md has the anchor #no-such-heading',
      'docs/broken.md:3: missing.md: docs/missing.md does not exist',
      'docs/broken.md:5: ../examples/demo/policy.yaml#x: an anchor into something that is not a markdown file',
      'docs/broken.md:5: ../../outside.md: points outside the repository',
      'docs/broken.md:5: #broken-1: no heading in docs/broken.md has the anchor #broken-1',
    ]);
  });
});

describe('mentions', () => {
  it('collects codes, metrics (prefix patterns too), variables, nested config keys and source files', () => {
    const md = [
      'An `ERR_TOKEN_INVALID` answer counts in `keygate_decisions_total` and `keygate_process_*`, not `$keygate_cookie`.',
      'Set `KEYGATE_REDIS_URL_FILE` or `KEYGATE_*`; `cookie.secure: true`, `idp.*`, `idp.example.com`, `headers.user`.',
      'See `src/policy/evaluate.ts`, `test/e2e/real/traefik-*.test.ts` and (src/errors.ts).',
      '```sh\nKEYGATE_ISSUER=https://kc.example.com/realms/acme\n```',
    ].join('\n');
    assert.deepEqual(mentions(md, ['cookie', 'headers', 'idp']), {
      codes: ['ERR_TOKEN_INVALID'],
      metrics: ['keygate_decisions_total', 'keygate_process_*'],
      variables: ['KEYGATE_ISSUER', 'KEYGATE_REDIS_URL_FILE'],
      configKeys: ['cookie.secure', 'headers.user', 'idp.*'],
      files: ['src/errors.ts', 'src/policy/evaluate.ts'],
    });
  });
});
