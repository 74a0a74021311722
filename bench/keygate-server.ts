/**
 * keygate as the bench runs it: exactly `keygate serve` (src/cli/serve.ts), configured from the environment,
 * in its own process, so it is wired the way production is (including the session layer once serve has one).
 */
import { run } from '../src/cli/serve.js';

const code = await run(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
process.exit(code);
