#!/usr/bin/env node
/** The `keygate` executable (package.json `bin`): runs the command line and sets the exit code. */
import { runCli } from './commands.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (s) => {
    process.stdout.write(s);
  },
  stderr: (s) => {
    process.stderr.write(s);
  },
});
process.exitCode = code;
// A command has finished (or startup failed): nothing left behind (a retry timer, a half-open client) may keep the
// process alive under a restart policy. The timer does not itself hold the process open.
setTimeout(() => process.exit(code), 1000).unref();
