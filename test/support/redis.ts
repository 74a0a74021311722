/** A real redis-server for tests (stoppable and restartable on the same port), and a TCP proxy that can cut one client off. */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { freePort, requireBinary, startProcess, tempDir, type Proc } from './proc.js';

/** A running (or stopped) redis-server without persistence. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server; its data is gone (no RDB, no AOF). */
  stop(): Promise<void>;
  /** Starts it again on the same port (stopping it first if it runs), empty. */
  restart(): Promise<void>;
}

/** Starts redis-server for one test and stops it when the test ends; undefined when the test was skipped for lack of it. */
export async function startRedis(t: TestContext): Promise<TestRedis | undefined> {
  const bin = requireBinary(t, 'redis-server', 'redis-server');
  if (bin === undefined) return undefined;
  const port = await freePort();
  const dir = tempDir('keygate-redis-');
  let proc: Proc | undefined;
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    await p?.stop();
  };
  const restart = async (): Promise<void> => {
    await stop();
    proc = startProcess(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { cwd: dir });
    await waitForPong(port, proc);
  };
  t.after(stop);
  await restart();
  return { port, url: `redis://127.0.0.1:${port}`, stop, restart };
}

async function waitForPong(port: number, proc: Proc, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`redis-server exited (${proc.child.exitCode}) before answering:\n${proc.output()}`);
    if (await pingOnce(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms:\n${proc.output()}`);
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let got = '';
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('\r\n')) done(got.startsWith('+PONG'));
    });
  });
}

/** A TCP proxy to a local port; `cut` drops every connection and refuses new ones until `resume`. */
export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  cut(): Promise<void>;
  resume(): Promise<void>;
}

/** Starts a TCP proxy to 127.0.0.1:`targetPort`, closed when the test ends. */
export async function startTcpProxy(t: TestContext, targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const resume = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const srv = createServer((client) => {
        const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        server = srv;
        resolve();
      });
    });
  const cut = (): Promise<void> =>
    new Promise((resolve) => {
      const srv = server;
      server = undefined;
      for (const s of sockets) s.destroy();
      if (srv === undefined) resolve();
      else srv.close(() => resolve());
    });
  t.after(cut);
  await resume();
  return { port, url: `redis://127.0.0.1:${port}`, cut, resume };
}
