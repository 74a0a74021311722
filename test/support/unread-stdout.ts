/** A child process whose stdout the test leaves unread for a while (full-pipe tests of the log sink, issue 17 point 6). */
import type { ChildProcess } from 'node:child_process';

/**
 * Starts reading `child`'s paused stdout and resolves, once the child has exited and its stdout has ended, to the
 * non-empty stdout lines and the exit code. A child still running after `killAfterMs` is killed (SIGKILL).
 */
export async function readUntilExit(child: ChildProcess, killAfterMs = 15_000): Promise<{ lines: string[]; code: number | null }> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error('the child has no stdout pipe');
  const exited = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const chunks: Buffer[] = [];
  stdout.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise<void>((r) => stdout.once('end', () => r()));
  stdout.resume();
  const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const code = await exited;
  await ended;
  clearTimeout(kill);
  return { lines: Buffer.concat(chunks).toString().split('\n').filter((l) => l !== ''), code };
}
