import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/server.js';
import { startServerProcess, type RunningServerProcess } from '../helpers/server-process.js';
import { TestSocket } from './realtime-client.js';

/**
 * Slow clients against the real server process with a 256-descriptor budget (`prlimit`). Timeouts are set
 * small through the environment so the test does not wait long: a body trickled a byte at a time is cut at
 * OUTPOST_REQUEST_TIMEOUT_MS, headers at OUTPOST_HEADERS_TIMEOUT_MS, and one address holds at most
 * OUTPOST_MAX_CONNECTIONS_PER_IP connections. The attackers use other loopback addresses (127.0.0.x) than
 * the /health probe, as they would from other hosts.
 */
const FD_LIMIT = 256;
const PER_IP = 40;

interface Attacker {
  socket: Socket;
  received: string;
  /** The server closed it (or refused it on accept). */
  closed: Promise<void>;
}

/** Headers of a 1,000,000-byte body, then one byte of it every `dripMs` until the server closes the socket. */
function slowBody(url: URL, from: string, dripMs: number): Attacker {
  const socket = connect({ host: url.hostname, port: Number(url.port), localAddress: from });
  const a: Attacker = { socket, received: '', closed: Promise.resolve() };
  let timer: NodeJS.Timeout | undefined;
  a.closed = new Promise((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve();
    });
  });
  socket.on('error', () => undefined);
  socket.on('data', (d) => (a.received += d.toString()));
  socket.on('connect', () => {
    socket.write(
      'POST /api/sync/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000000\r\n\r\n{',
    );
    timer = setInterval(() => socket.write(' '), dripMs);
  });
  return a;
}

/** A request line and then one header byte every `dripMs`: the headers never complete. */
function slowHeaders(url: URL, from: string, dripMs: number): Attacker {
  const socket = connect({ host: url.hostname, port: Number(url.port), localAddress: from });
  const a: Attacker = { socket, received: '', closed: Promise.resolve() };
  let timer: NodeJS.Timeout | undefined;
  a.closed = new Promise((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve();
    });
  });
  socket.on('error', () => undefined);
  socket.on('data', (d) => (a.received += d.toString()));
  socket.on('connect', () => {
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    timer = setInterval(() => socket.write('a'), dripMs);
  });
  return a;
}

/** GET /health from 127.0.0.1, retried until it answers 200 (each try bounded, so a stuck server fails). */
async function healthy(url: string, tries = 40): Promise<number> {
  for (let i = 0; i < tries; i++) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return i;
    } catch {
      // refused, reset or timed out: the server is not serving; try again
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('/health never answered 200');
}

async function refusedCount(srv: RunningServerProcess): Promise<number> {
  const res = await fetch(`${srv.url}/metrics`);
  const m = /^outpost_http_connections_refused_total (\d+)/m.exec(await res.text());
  return Number(m?.[1] ?? 0);
}

describe('slow clients under a 256-descriptor limit', () => {
  let srv: RunningServerProcess;
  let dataDir: string;
  let url: URL;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'outpost-slow-'));
    srv = await startServerProcess({
      dataDir,
      wrapper: ['prlimit', `--nofile=${FD_LIMIT}:${FD_LIMIT}`, '--'],
      env: {
        OUTPOST_API_KEYS: 'test-admin-key-0123456789abcdef',
        OUTPOST_ADMIN_USER: 'admin',
        OUTPOST_ADMIN_PASSWORD: 'admin-password-123',
        OUTPOST_HEADERS_TIMEOUT_MS: '600',
        OUTPOST_REQUEST_TIMEOUT_MS: '1500',
        OUTPOST_MAX_CONNECTIONS_PER_IP: String(PER_IP),
        OUTPOST_RATE_LIMIT_PER_MIN: '100000',
      },
    });
    url = new URL(srv.url);
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('one address opening 300 slow-body connections: all but the cap are refused on accept; /health stays up', async () => {
    const before = await refusedCount(srv);
    const attackers = Array.from({ length: 300 }, () => slowBody(url, '127.0.0.2', 200));
    // Once the excess is refused, the cap's worth is still held (for up to the 1.5 s request timeout):
    // the probe from another address must answer meanwhile.
    let closed = 0;
    const refusedAll = new Promise<void>((resolve) => {
      for (const a of attackers) {
        void a.closed.then(() => {
          if (++closed === 300 - PER_IP) resolve();
        });
      }
    });
    await refusedAll;
    await healthy(srv.url);
    await Promise.all(attackers.map((a) => a.closed));
    const refused = (await refusedCount(srv)) - before;
    expect(refused).toBeGreaterThanOrEqual(300 - PER_IP);
    // Those that got in were cut off by the request timeout with a 408, not left to trickle forever.
    const timedOut = attackers.filter((a) => a.received.startsWith('HTTP/1.1 408'));
    expect(timedOut.length).toBeGreaterThan(0);
    expect(timedOut.length).toBeLessThanOrEqual(PER_IP);
    expect(timedOut[0]!.received).toContain('"code":"REQUEST_TIMEOUT"');
  }, 60_000);

  it('slow bodies and slow headers from many addresses, more than the descriptor limit: all are timed out and /health recovers', async () => {
    // A station socket open through the attack: the request timeout ends slow requests, not long-lived sockets.
    const loginRes = await request(srv.url, 'POST', '/api/auth/login', {
      username: 'admin',
      password: 'admin-password-123',
      device_id: 'LONG-LIVED',
    });
    const station = await TestSocket.open(srv.url, `?token=${loginRes.body.token}&device_id=LONG-LIVED`);
    await station.next('authenticated');

    const attackers: Attacker[] = [];
    // 8 addresses × 36 = 288 connections (each under the per-address cap) plus slow-header ones: over 256.
    for (let ip = 10; ip < 18; ip++) {
      for (let i = 0; i < 36; i++) attackers.push(slowBody(url, `127.0.0.${ip}`, 200));
    }
    for (let i = 0; i < 30; i++) attackers.push(slowHeaders(url, '127.0.0.30', 200));
    await Promise.all(attackers.map((a) => a.closed));
    await healthy(srv.url);
    const answered = attackers.filter((a) => a.received.startsWith('HTTP/1.1 408'));
    // Most got in and were answered 408; any the kernel could not hand over (descriptors all in use) were
    // dropped, and the server itself kept running.
    expect(answered.length).toBeGreaterThan(100);
    expect(srv.proc.exitCode).toBeNull();
    const h = await fetch(`${srv.url}/health`);
    expect(h.status).toBe(200);
    // Open for longer than the request timeout by now, and still served.
    station.send({ event: 'ping' });
    await station.next('pong');
    expect(station.closed).toBeUndefined();
    await station.close();
  }, 60_000);
});
