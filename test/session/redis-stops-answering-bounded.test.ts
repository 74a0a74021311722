/**
 * Issue #12 point 6: Redis is bounded too. A Redis that accepts the connection, completes the handshake, and then
 * stops answering commands makes a revocation fail within redis.commandTimeoutMs (the back-channel logout then answers
 * 503, so Keycloak retries); nothing waits longer, and a Redis failure never reads as "not revoked" to the session
 * layer while the mirror may be incomplete. The server is a minimal RESP speaker written here: a real Redis cannot be
 * made to hang like this.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { isAuthError } from '../../src/errors.js';
import { createRevocationStore } from '../../src/session/redis-revocation.js';
import { createLogger } from '../../src/util/log.js';

const COMMAND_TIMEOUT_MS = 300;
/** redis.commandTimeoutMs plus slack for a loaded machine; the old fixed 2 s is beyond it. */
const BOUND_MS = COMMAND_TIMEOUT_MS + 900;

/** A RESP3 server that answers the handshake (HELLO, CLIENT, INFO, PING, SUBSCRIBE, SCAN) and, once `hang` is set, nothing else. */
async function startHangingRedis(): Promise<{ url: string; hang: () => void; close: () => Promise<void> }> {
  let hanging = false;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let cmd = takeCommand(); cmd !== undefined; cmd = takeCommand()) reply(s, cmd, hanging);
    });
    function takeCommand(): string[] | undefined {
      const parsed = parseCommand(buf);
      if (parsed === undefined) return undefined;
      buf = buf.slice(parsed.used);
      return parsed.args;
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    hang: () => { hanging = true; },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** One RESP array of bulk strings from the front of `buf`, or undefined when incomplete. */
function parseCommand(buf: string): { args: string[]; used: number } | undefined {
  const head = /^\*(\d+)\r\n/.exec(buf);
  if (head === null) return undefined;
  let at = head[0].length;
  const args: string[] = [];
  for (let i = 0; i < Number(head[1]); i++) {
    const len = /^\$(\d+)\r\n/.exec(buf.slice(at));
    if (len === null) return undefined;
    at += len[0].length;
    if (buf.length < at + Number(len[1]) + 2) return undefined;
    args.push(buf.slice(at, at + Number(len[1])));
    at += Number(len[1]) + 2;
  }
  return { args, used: at };
}

function reply(s: Socket, args: readonly string[], hanging: boolean): void {
  const bulk = (v: string): string => `$${Buffer.byteLength(v)}\r\n${v}\r\n`;
  const name = (args[0] ?? '').toUpperCase();
  // ioredis 6 speaks RESP3 (HELLO 3): the map and push replies below are RESP3's.
  if (name === 'HELLO') s.write(`%3\r\n${bulk('server')}${bulk('redis')}${bulk('version')}${bulk('7.2.0')}${bulk('proto')}:3\r\n`);
  else if (name === 'CLIENT') s.write('+OK\r\n');
  else if (name === 'INFO') s.write(bulk('# Server\r\nredis_version:7.2.0\r\nloading:0\r\n'));
  else if (name === 'SUBSCRIBE') s.write(`>3\r\n${bulk('subscribe')}${bulk(args[1] ?? '')}:1\r\n`);
  else if (name === 'SCAN') s.write(`*2\r\n${bulk('0')}*0\r\n`);
  else if (hanging) return; // the connection stays open; no reply ever comes
  else if (name === 'PING') s.write('+PONG\r\n');
  else s.write('-ERR unknown command\r\n');
}

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('a Redis that stops answering', () => {
  it(`a revocation fails within redis.commandTimeoutMs (${COMMAND_TIMEOUT_MS} ms), as an AuthError, never hangs`, async () => {
    const redis = await startHangingRedis();
    cleanups.push(redis.close);
    const log = createLogger({ level: 'error', write: () => undefined });
    const store = await createRevocationStore(redis.url, { log, bounds: { connectTimeoutMs: 1000, commandTimeoutMs: COMMAND_TIMEOUT_MS } });
    cleanups.push(() => store.close());
    assert.equal(store.healthy, true, 'the handshake and the initial load succeeded');
    redis.hang();
    const t0 = performance.now();
    const err = await store.revoke('sid', 'sid-1', Date.now(), 3600).then(() => undefined, (e: unknown) => e);
    const ms = performance.now() - t0;
    assert.ok(isAuthError(err), `rejected with ${String(err)}`);
    assert.match(err.detail ?? '', /Redis did not record the sid revocation \(Command timed out\)/);
    assert.ok(ms < BOUND_MS, `rejected after ${ms.toFixed(0)} ms`);
    assert.equal(store.isRevoked('sid-1', 'sub', 0), true, 'the revocation still holds on this replica');
  });
});
