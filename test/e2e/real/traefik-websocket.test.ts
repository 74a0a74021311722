/**
 * WebSocket upgrades through real Traefik 3.7 (the shipped files) are decided by keygate like any other request:
 * Traefik's forwardAuth sends the upgrade's method, host and URI to /auth, and only a 200 lets the upgrade reach the
 * app. A minimal echo app (RFC 6455 handshake and unmasked echo of one short frame) and a raw TLS client that reads
 * the status line; real Keycloak tokens (realm kg-accounts).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, describe, it, type TestContext } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import type { TestKeygate } from '../../support/keygate.js';
import type { Traefik } from '../../support/traefik.js';
import { traefikStack } from '../../support/traefik-stack.js';

const REALM = 'kg-accounts';
const HOST = 'prefect.example.com';
const POLICY = `version: 1
default: deny
rules:
  - name: ws-admin
    hosts: [${HOST}]
    paths: ["/api/ws/admin/**"]
    allow: { anyRole: [admin] }
  - name: ws-events
    hosts: [${HOST}]
    paths: ["/api/ws/**"]
    allow: { anyRole: [viewer, engineer] }
  - name: ui
    hosts: [${HOST}]
    paths: ["/**"]
    allow: authenticated
`;
/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC11B65';
const acceptFor = (key: string): string => createHash('sha1').update(key + WS_GUID).digest('base64');

/** An app that accepts WebSocket upgrades and echoes one short frame; it records every upgrade it receives. */
interface EchoApp { url: string; upgrades: Array<{ url: string; headers: IncomingHttpHeaders }>; close(): Promise<void> }

async function startEchoApp(): Promise<EchoApp> {
  const upgrades: EchoApp['upgrades'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    upgrades.push({ url: req.url ?? '', headers: { ...req.headers } });
    const key = req.headers['sec-websocket-key'];
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`);
    socket.on('data', (frame: Buffer) => {
      const payload = unmask(frame);
      if (payload !== undefined) socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upgrades,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** The payload of one masked client text frame shorter than 126 bytes (all this test sends), else undefined. */
function unmask(frame: Buffer): Buffer | undefined {
  const [b0 = 0, b1 = 0] = frame;
  const len = b1 & 0x7f;
  if (b0 !== 0x81 || (b1 & 0x80) === 0 || len >= 126 || frame.length < 6 + len) return undefined;
  const mask = frame.subarray(2, 6);
  return Buffer.from(frame.subarray(6, 6 + len).map((b, i) => b ^ (mask[i % 4] ?? 0)));
}

/** What a raw WebSocket handshake through Traefik got: the status, the headers, and an echo when it upgraded. */
interface Handshake { status: number; headers: Record<string, string>; echo?: string }

/** Sends an upgrade request for `path` through Traefik's websecure entry point; on 101, sends `message` and reads the echo. */
function handshake(tr: Traefik, path: string, headers: Record<string, string>, message = 'hello through traefik'): Promise<Handshake> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port: tr.ports.websecure, servername: HOST, rejectUnauthorized: false });
    const timer = setTimeout(() => socket.destroy(new Error(`${path}: no complete answer within 15 s`)), 15_000);
    let buf = Buffer.alloc(0);
    let head: Handshake | undefined;
    const done = (h: Handshake): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(h);
    };
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    socket.on('secureConnect', () => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: ${HOST}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (head === undefined) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine = '', ...rest] = buf.subarray(0, end).toString('latin1').split('\r\n');
        head = { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers: Object.fromEntries(rest.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])) };
        buf = buf.subarray(end + 4);
        if (head.status !== 101) return done(head);
        assert.equal(head.headers['sec-websocket-accept'], acceptFor(key), 'the handshake completes end to end');
        const payload = Buffer.from(message);
        const mask = randomBytes(4);
        socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ (mask[i % 4] ?? 0))]));
      }
      if (buf.length >= 2 && buf.length >= 2 + (buf[1] ?? 0)) done({ ...head, echo: buf.subarray(2, 2 + (buf[1] ?? 0)).toString('utf8') });
    });
  });
}

interface Env { kg: TestKeygate; app: EchoApp; traefik: Traefik; alice: string }
const stack = traefikStack({ realm: REALM, policy: POLICY, app: startEchoApp });
let setup: Promise<Env | undefined> | undefined;
const ready = (t: TestContext): Promise<Env | undefined> => (setup ??= start(t));
async function start(t: TestContext): Promise<Env | undefined> {
  const s = await stack.ready(t);
  return s === undefined ? undefined : { ...s, alice: await s.token('alice') };
}

/** keygate's last decision log line. */
function lastDecision(kg: TestKeygate): Record<string, unknown> | undefined {
  return kg.logs().filter((l) => l['msg'] === 'decision').at(-1);
}

describe('real Traefik 3.7: WebSocket upgrades', () => {
  after(() => stack.stop());

  it('an anonymous upgrade gets 401 and never reaches the app', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const before = e.app.upgrades.length;
    const res = await handshake(e.traefik, '/api/ws/events', {});
    assert.equal(res.status, 401);
    assert.equal(e.app.upgrades.length, before, 'the upgrade reached the app');
    const d = lastDecision(e.kg);
    assert.deepEqual([d?.['decision'], d?.['rule'], d?.['method'], d?.['path']], ['unauthenticated', 'ws-events', 'GET', '/api/ws/events']);
  });

  it('a viewer\'s upgrade on an admin-only path gets 403 and never reaches the app', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const before = e.app.upgrades.length;
    const res = await handshake(e.traefik, '/api/ws/admin/logs', { Authorization: `Bearer ${e.alice}` });
    assert.equal(res.status, 403);
    assert.equal(e.app.upgrades.length, before, 'the upgrade reached the app');
    const d = lastDecision(e.kg);
    assert.deepEqual([d?.['decision'], d?.['rule'], d?.['user']], ['deny', 'ws-admin', 'alice']);
  });

  it('an allowed upgrade gets 101, echoes, and the app receives the identity headers on the upgrade request', async (t) => {
    const e = await ready(t);
    if (e === undefined) return;
    const before = e.app.upgrades.length;
    const res = await handshake(e.traefik, '/api/ws/events?flow=7', { Authorization: `Bearer ${e.alice}`, 'X-Auth-User': 'carol', 'X-Auth-Roles': 'admin' });
    assert.equal(res.status, 101);
    assert.equal(res.echo, 'hello through traefik');
    assert.equal(e.app.upgrades.length, before + 1);
    const up = e.app.upgrades.at(-1);
    assert.equal(up?.url, '/api/ws/events?flow=7', 'path and query unchanged');
    assert.equal(up?.headers.upgrade, 'websocket');
    assert.equal(up?.headers['x-auth-user'], 'alice');
    assert.ok(String(up?.headers['x-auth-roles']).split(',').includes('viewer'), `roles: ${String(up?.headers['x-auth-roles'])}`);
    assert.ok(!String(up?.headers['x-auth-roles']).split(',').includes('admin'), 'a forged role reached the app');
    const d = lastDecision(e.kg);
    assert.deepEqual([d?.['decision'], d?.['rule'], d?.['path']], ['allow', 'ws-events', '/api/ws/events']);
  });
});
