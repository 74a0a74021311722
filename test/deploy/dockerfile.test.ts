import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { copyArgs, execForm, imageTag, inContext, instructions, stages, staticPackageImports, type Stage } from './dockerfile.js';
import { filesUnder, isRecord, record, rel, ROOT } from './support.js';

const DOCKERFILE = 'deploy/Dockerfile';
const text = (): string => readFileSync(join(ROOT, DOCKERFILE), 'utf8');
const dockerignore = (): string => readFileSync(join(ROOT, '.dockerignore'), 'utf8');
const pkg = (): Record<string, unknown> => record(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')), 'package.json');

function finalStage(): Stage {
  const all = stages(text());
  const last = all[all.length - 1];
  assert.ok(last !== undefined, 'no FROM');
  return last;
}

function args(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** True when a RUN installs production dependencies only. */
const installsProdOnly = (run: string): boolean => /\bnpm ci\b/.test(run) && /--omit[= ]dev\b/.test(run);

describe('Dockerfile', () => {
  it('parses continuations and comments into instructions', () => {
    const ins = instructions('# c\nFROM a:1 AS b\nRUN x \\\n  # inside\n  && y\n\nUSER 1\n');
    assert.deepEqual(ins.map((i) => [i.keyword, i.args, i.line]), [['FROM', 'a:1 AS b', 2], ['RUN', 'x && y', 3], ['USER', '1', 7]]);
    assert.deepEqual(imageTag('registry:5000/node:20-slim@sha256:ab'), { tag: '20-slim', digest: true });
    assert.deepEqual(imageTag('registry:5000/node'), { tag: undefined, digest: false });
    assert.equal(inContext('*\n!src/\n', 'src/a.ts'), true);
    assert.equal(inContext('*\n!src/\n', 'node_modules'), false);
    const dir = mkdtempSync(join(tmpdir(), 'keygate-imports-'));
    writeFileSync(join(dir, 'a.js'), "import { x } from './b.js';\nimport {\n  y,\n} from '@scope/pkg/sub';\nexport * from 'node:fs';\nconst lazy = () => import('lazy-dep');\n");
    writeFileSync(join(dir, 'b.js'), "export { z } from 'other';\nimport 'side-effect';\nexport const x = 'not-an-import';\n");
    assert.deepEqual([...staticPackageImports(join(dir, 'a.js')).keys()].sort(), ['@scope/pkg', 'other', 'side-effect']);
  });

  it('builds in one stage and runs in another, both from a pinned node:20-bookworm-slim, never `latest`', () => {
    const all = stages(text());
    assert.ok(all.length >= 2, 'at least two FROM stages');
    const names = new Set<string>();
    for (const s of all) {
      if (!names.has(s.image)) {
        const { tag, digest } = imageTag(s.image);
        assert.ok(digest || (tag !== undefined && tag !== 'latest'), `FROM ${s.image}: pin a tag other than latest`);
        assert.match(s.image, /^node:20-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
      }
      if (s.name !== undefined) names.add(s.name);
    }
    const build = all[0];
    assert.ok(build !== undefined);
    assert.ok(args(build, 'RUN').some((r) => /\bnpm ci\b/.test(r)), 'the build stage runs npm ci');
    assert.ok(args(build, 'RUN').some((r) => /\bnpm run build\b/.test(r)), 'the build stage runs npm run build');
  });

  it('the final stage has production dependencies only', () => {
    const all = stages(text());
    const last = finalStage();
    const runs = args(last, 'RUN');
    const copiedModules = args(last, 'COPY').map(copyArgs).filter((c) => c.sources.some((s) => s.includes('node_modules')));
    const ok = runs.some(installsProdOnly) || copiedModules.some((c) => {
      const from = all.find((s) => s.name === c.flags.get('from'));
      return from !== undefined && args(from, 'RUN').some(installsProdOnly);
    });
    assert.ok(ok, 'the final stage runs `npm ci --omit=dev` or copies node_modules from a stage that does');
    for (const r of runs) assert.ok(!/\bnpm (install|i)\b/.test(r) && (!/\bnpm ci\b/.test(r) || installsProdOnly(r)), `final stage: ${r}`);
    assert.ok(args(last, 'ENV').some((e) => /^NODE_ENV[= ]production$/.test(e)), 'ENV NODE_ENV=production');
  });

  it('runs as a numeric non-root user, exposes 4181 and checks /healthz without curl', () => {
    const last = finalStage();
    const user = args(last, 'USER').pop();
    assert.ok(user !== undefined, 'the final stage sets USER');
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    assert.ok(m !== null, `USER ${user} must be numeric (Kubernetes runAsNonRoot cannot check a name)`);
    assert.notEqual(Number(m[1]), 0, 'USER must not be root');
    assert.ok(args(last, 'EXPOSE').includes('4181'));
    const health = args(last, 'HEALTHCHECK');
    assert.equal(health.length, 1, 'one HEALTHCHECK');
    const cmd = execForm((health[0] ?? '').replace(/^(--\S+\s+)*CMD\s+/, ''));
    assert.ok(cmd !== undefined && cmd[0] === 'node' && cmd.join(' ').includes('/healthz'), `HEALTHCHECK must use node to fetch /healthz: ${health[0] ?? ''}`);
  });

  it('starts the CLI that package.json publishes, with `serve`', () => {
    const last = finalStage();
    const entry = execForm(args(last, 'ENTRYPOINT').pop() ?? '');
    const bin = pkg()['bin'];
    assert.ok(isRecord(bin));
    assert.deepEqual(entry, ['node', bin['keygate']]);
    assert.deepEqual(execForm(args(last, 'CMD').pop() ?? ''), ['serve']);
    const copies = args(last, 'COPY').map(copyArgs);
    assert.ok(copies.some((c) => c.flags.get('from') !== undefined && c.sources.some((s) => s.endsWith('dist/src'))), 'copies dist/src from the build stage');
    assert.ok(copies.some((c) => c.flags.get('from') === undefined && c.sources.includes('schemas')), 'copies schemas');
  });

  it('never downloads with ADD', () => {
    for (const ins of instructions(text())) assert.ok(!(ins.keyword === 'ADD' && /https?:\/\//i.test(ins.args)), `line ${ins.line}: ADD from a URL`);
  });

  it('.dockerignore sends what the Dockerfile copies and nothing of the host’s builds, git or secrets', () => {
    for (const s of stages(text())) {
      for (const c of args(s, 'COPY').map(copyArgs).filter((x) => x.flags.get('from') === undefined)) {
        for (const src of c.sources) assert.ok(inContext(dockerignore(), src), `COPY ${src}: excluded by .dockerignore`);
      }
    }
    for (const p of ['node_modules', 'dist', '.git', '.env', 'secrets/client-secret', 'test/config/fixtures/broken.yaml']) {
      assert.equal(inContext(dockerignore(), p), false, `${p} must stay out of the build context`);
    }
  });

  it('the dev IdP and the demo (dev/) stay out of the image: not in the build context, not copied, and src/ builds without them', () => {
    const devFiles = filesUnder('dev', ['.ts']);
    assert.ok(devFiles.some((f) => f.endsWith('/dev/idp/index.ts')), 'dev/idp/index.ts is where this test expects the dev IdP');
    for (const f of devFiles) assert.equal(inContext(dockerignore(), rel(f)), false, `${rel(f)} reaches the build context`);
    const all = stages(text());
    for (const s of all) {
      for (const c of args(s, 'COPY').map(copyArgs)) {
        const fromStage = c.flags.get('from') !== undefined;
        for (const src of c.sources) {
          const path = src.replace(/^\/app\//, '').replace(/^\.\/|\/+$/g, '');
          // From the context: never the whole folder or dev/. From the build stage: only the compiled service, dist/src.
          if (fromStage) assert.ok(path === 'dist/src' || path.startsWith('dist/src/'), `COPY --from ${src}: only dist/src leaves the build stage`);
          else assert.ok(path !== '.' && path !== '' && path !== 'dev' && !path.startsWith('dev/'), `COPY ${src} brings dev/ into the build`);
        }
      }
    }
    // The build stage has src/ but no dev/, so no file of src/ may import one of dev/ (tsc would fail there).
    for (const f of filesUnder('src', ['.ts'])) {
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.[^'"]*)['"]/gm)) {
        const target = rel(resolve(dirname(f), m[1] ?? ''));
        assert.ok(target.startsWith('src/'), `${rel(f)} imports ${m[1] ?? ''}, outside src/ (the image builds src/ alone)`);
      }
    }
  });

  it('the entry point imports only production dependencies (the image has no dev dependencies)', () => {
    const bin = pkg()['bin'];
    assert.ok(isRecord(bin) && typeof bin['keygate'] === 'string');
    const entry = join(ROOT, bin['keygate']);
    assert.ok(existsSync(entry), `${bin['keygate']} (the image's ENTRYPOINT) is not built: src/cli/main.ts is missing`);
    const deps = new Set(Object.keys(record(pkg()['dependencies'], 'dependencies')));
    for (const [name, from] of staticPackageImports(entry)) {
      assert.ok(deps.has(name), `${from} imports ${name}, which npm ci --omit=dev does not install: move it to dependencies, or import() it lazily`);
    }
  });
});
