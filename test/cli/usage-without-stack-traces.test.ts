import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { hasStackTrace, runBin, takenPort } from './run-bin.js';

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly want: { readonly code: number; readonly stream: 'stdout' | 'stderr'; readonly first: string | RegExp };
}

// Every case runs the real binary with an empty environment: no config, so a stray `serve` would fail differently.
const CASES: readonly Case[] = [
  { name: 'keygate --help', args: ['--help'], want: { code: 0, stream: 'stdout', first: 'usage: keygate [command] [options]' } },
  { name: 'keygate serve --help', args: ['serve', '--help'], want: { code: 0, stream: 'stdout', first: 'usage: keygate serve [--config FILE]' } },
  { name: 'keygate serve -h', args: ['serve', '-h'], want: { code: 0, stream: 'stdout', first: 'usage: keygate serve [--config FILE]' } },
  { name: 'keygate check --help', args: ['check', '--help'], want: { code: 0, stream: 'stdout', first: 'usage: keygate check [--config FILE] [--policy FILE] [--realm realm.json ...] [--proxy FILE ...]' } },
  { name: 'keygate explain --help', args: ['explain', '--help'], want: { code: 0, stream: 'stdout', first: /^usage: keygate explain --policy FILE/ } },
  { name: 'keygate test --help', args: ['test', '--help'], want: { code: 0, stream: 'stdout', first: 'usage: keygate test --policy FILE CASES.yaml [--json]' } },
  { name: 'keygate dev --help', args: ['dev', '--help'], want: { code: 0, stream: 'stdout', first: /^usage: keygate dev / } },
  { name: 'keygate --version', args: ['--version'], want: { code: 0, stream: 'stdout', first: /^keygate \d+\.\d+\.\d+$/ } },
  { name: 'keygate -V', args: ['-V'], want: { code: 0, stream: 'stdout', first: /^keygate \d+\.\d+\.\d+$/ } },
  { name: 'unknown flag without a command', args: ['--conifg', 'x.yaml'], want: { code: 2, stream: 'stderr', first: 'keygate serve: unknown option --conifg (did you mean --config?)' } },
  { name: 'unknown flag of serve', args: ['serve', '--conifg', 'x.yaml'], want: { code: 2, stream: 'stderr', first: 'keygate serve: unknown option --conifg (did you mean --config?)' } },
  { name: 'unknown flag far from any', args: ['serve', '--frobnicate'], want: { code: 2, stream: 'stderr', first: 'keygate serve: unknown option --frobnicate' } },
  { name: 'a positional argument to serve', args: ['serve', 'extra'], want: { code: 2, stream: 'stderr', first: /^keygate serve: Unexpected argument 'extra'/ } },
  { name: 'unknown flag of check', args: ['check', '--polcy', 'p.yaml'], want: { code: 2, stream: 'stderr', first: 'keygate check: unknown option --polcy (did you mean --policy?)' } },
  { name: 'unknown flag of test', args: ['test', '--jsn'], want: { code: 2, stream: 'stderr', first: 'keygate test: unknown option --jsn (did you mean --json?)' } },
  { name: 'unknown flag of dev', args: ['dev', '--gateway-prot', '1'], want: { code: 2, stream: 'stderr', first: 'keygate dev: unknown option --gateway-prot (did you mean --gateway-port?)' } },
  { name: 'unknown command', args: ['frobnicate'], want: { code: 2, stream: 'stderr', first: 'keygate: unknown command "frobnicate"' } },
  { name: 'misspelt command', args: ['chek'], want: { code: 2, stream: 'stderr', first: 'keygate: unknown command "chek" (did you mean check?)' } },
  { name: 'missing option value', args: ['serve', '--config'], want: { code: 2, stream: 'stderr', first: /^keygate serve: Option '-c, --config <value>' argument missing/ } },
];

describe('keygate: user input never prints a stack trace (issue #12 point 4)', () => {
  for (const c of CASES) {
    it(`${c.name}: exit ${c.want.code}, short message on ${c.want.stream}`, async () => {
      const r = await runBin(c.args, { PATH: process.env['PATH'] ?? '' }, 20_000);
      assert.equal(r.code, c.want.code, `${r.stdout}${r.stderr}`);
      const first = r[c.want.stream].split('\n')[0] ?? '';
      if (typeof c.want.first === 'string') assert.equal(first, c.want.first);
      else assert.match(first, c.want.first);
      assert.equal(hasStackTrace(r.stdout + r.stderr), false, r.stdout + r.stderr);
      assert.ok((r.stdout + r.stderr).split('\n').length < 25, 'the message is short');
    });
  }
});

describe('npm start (keygate dev) with a taken port says which flag changes it', () => {
  const held: Array<() => Promise<void>> = [];
  after(async () => { for (const r of held) await r(); });
  for (const [flag, role] of [['gateway-port', 'the gateway'], ['keygate-port', 'keygate'], ['idp-port', 'the dev identity provider'], ['app-port', 'the demo app']] as const) {
    it(`--${flag} taken: exit 1 naming ${role} and --${flag}`, async () => {
      const taken = await takenPort();
      held.push(taken.release);
      const ports = { 'gateway-port': '0', 'keygate-port': '0', 'idp-port': '0', 'app-port': '0', [flag]: String(taken.port) };
      const r = await runBin(['dev', ...Object.entries(ports).flatMap(([k, v]) => [`--${k}`, v])], { PATH: process.env['PATH'] ?? '' }, 20_000);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, `keygate dev: port ${taken.port} on 127.0.0.1 (${role}) is already in use (EADDRINUSE); choose another with --${flag} PORT (0 = any free port)\n`);
    });
  }
});
