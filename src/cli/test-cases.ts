/**
 * `keygate test --policy F CASES.yaml [--json]`: runs policy test cases (DESIGN §8), prints each
 * failure and `N passed, N failed`, and exits 1 on any failure. `--json` prints one JSON object per
 * case instead (the summary then goes to stderr).
 */
import { evaluate } from '../policy/evaluate.js';
import type { CompiledPolicy } from '../policy/compiled.js';
import { NO_RULE } from '../policy/types.js';
import { formatProblem } from '../util/problems.js';
import { CASES_NOW, loadCases, type TestCase } from './cases-file.js';
import { parseCommandArgs, usageError, type CommandUsage } from './args.js';
import type { CliIo } from './io.js';
import { readPolicy, readText } from './policy-file.js';
import { targetFromUrl } from './target-url.js';

const COMMAND: CommandUsage = { name: 'test', usage: 'usage: keygate test --policy FILE CASES.yaml [--json]\n' };
const OPTIONS = { policy: { type: 'string' }, json: { type: 'boolean' } } as const;

/** The outcome of one case. */
interface CaseResult {
  readonly name: string;
  readonly passed: boolean;
  readonly expect: string;
  readonly actual: string;
  readonly rule: string;
  readonly reason: string;
  readonly expectedRule: string | undefined;
}

/** Runs `keygate test`; resolves to the exit code (0 all passed, 1 failures or invalid files, 2 usage). */
export async function testCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, COMMAND, { options: OPTIONS, allowPositionals: true }, io);
  if ('exit' in parsed) return parsed.exit;
  const { values, positionals } = parsed;
  const casesFile = positionals[0];
  if (values.policy === undefined || casesFile === undefined || positionals.length !== 1) return usageError(io, COMMAND, '--policy FILE and exactly one cases file are required');
  const loaded = readPolicy(values.policy, io, false);
  const cases = readCases(casesFile, io);
  if (loaded.policy === undefined || cases === undefined) return 1;
  const results = cases.map((tc) => runCase(loaded.policy as CompiledPolicy, tc));
  const failed = results.filter((r) => !r.passed).length;
  const summary = `${results.length - failed} passed, ${failed} failed\n`;
  if (values.json === true) {
    for (const r of results) io.stdout(`${JSON.stringify({ name: r.name, passed: r.passed, expect: r.expect, actual: r.actual, rule: r.rule })}\n`);
    io.stderr(summary);
  } else {
    for (const r of results) if (!r.passed) io.stdout(`${failureLine(r)}\n`);
    io.stdout(summary);
  }
  return failed === 0 ? 0 : 1;
}

function readCases(file: string, io: CliIo): TestCase[] | undefined {
  const text = readText(file);
  if (typeof text !== 'string') {
    io.stderr(`${file}: cannot read the test cases: ${text.error}\n`);
    return undefined;
  }
  const result = loadCases(text, file);
  for (const e of result.errors) io.stderr(`${formatProblem(e)}\n`);
  return result.value;
}

/** Evaluates one case exactly as the service would decide its request. */
function runCase(policy: CompiledPolicy, tc: TestCase): CaseResult {
  const t = targetFromUrl(tc.method, tc.url);
  const actual = t.ok ? evaluate(policy, t.target, tc.identity, CASES_NOW) : { kind: 'bad_request', rule: NO_RULE, reason: 'bad_target' };
  const passed = actual.kind === tc.expect && (tc.rule === undefined || tc.rule === actual.rule);
  return { name: tc.name, passed, expect: tc.expect, actual: actual.kind, rule: actual.rule, reason: actual.reason, expectedRule: tc.rule };
}

function failureLine(r: CaseResult): string {
  const wanted = r.expectedRule === undefined ? r.expect : `${r.expect} by rule ${r.expectedRule}`;
  return `FAIL ${JSON.stringify(r.name)}: expected ${wanted}, got ${r.actual} by rule ${r.rule} (${r.reason})`;
}
