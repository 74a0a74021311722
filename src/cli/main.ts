#!/usr/bin/env node
/** The `keygate` executable (package.json `bin`): runs the command line and sets the exit code. */
import { runCli } from './commands.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (s) => {
    process.stdout.write(s);
  },
  stderr: (s) => {
    process.stderr.write(s);
  },
});
