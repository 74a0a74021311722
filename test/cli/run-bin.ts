/** Runs the built `keygate` binary as a real process, with a deadline: exit code, output and how long it took. */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The built executable (tests run from dist/test/cli/). */
export const BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** How a run ended: `code` is null when the deadline killed it. */
export interface BinRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `keygate args…` (the built one, or `bin`) with `env`; kills it (code null) if it has not exited after `deadlineMs`. */
export function runBin(args: readonly string[], env: NodeJS.ProcessEnv, deadlineMs = 5000, bin = BIN): Promise<BinRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, deadlineMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: killed ? null : code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A TCP port on 127.0.0.1 held open by another server until `release`. */
export async function takenPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const a = s.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  return { port, release: () => new Promise((r) => s.close(() => r())) };
}

/** True when `text` holds a JavaScript stack frame (`    at …`). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(text) || /\n\s+at /.test(text);
}
