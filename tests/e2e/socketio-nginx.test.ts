/**
 * socket.io long-polling through nginx in front of two instances on one PostgreSQL database, with the shipped
 * example config (docs/nginx/outpost-fleet.conf): `/socket.io/` is routed by client address (`hash
 * $remote_addr consistent`), because an Engine.IO polling session exists only on the instance that answered
 * its handshake. Clients come from twelve loopback addresses, so sessions land on both instances; each must
 * keep polling on its own instance, and an event raised through nginx (on either instance) must reach all.
 *
 * Skips with a message when nginx or PostgreSQL is missing, except under CI=true, where that is a failure.
 */
import { Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import {
  FLEET_ADMIN,
  FLEET_API_KEY,
  fleetEnv,
  FleetInstance,
  fleetSkipReason,
  startNginx,
  type Nginx,
} from './lib/fleet.js';

const skip = await fleetSkipReason();
const admin = { 'x-api-key': FLEET_API_KEY };

interface Client {
  address: string;
  socket: Socket;
  events: { event: string; data: unknown }[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary payloads
type Payload = any;

/** Resolves with the first event named `event` matching `pred` (already received or future). */
function next(c: Client, event: string, pred: (d: Payload) => boolean = () => true): Promise<Payload> {
  return within(
    20_000,
    () => `${c.address}: ${event} (got ${JSON.stringify(c.events)})`,
    arrival(c, event, pred),
  );
}

/** A wait that fails with its name instead of hanging until the test's own timeout. */
function within<T>(ms: number, what: () => string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what()} within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function arrival(c: Client, event: string, pred: (d: Payload) => boolean): Promise<Payload> {
  const hit = c.events.find((e) => e.event === event && pred(e.data));
  if (hit) {
    c.events.splice(c.events.indexOf(hit), 1);
    return Promise.resolve(hit.data);
  }
  return new Promise((resolve) => {
    const on = (name: string, data: unknown) => {
      if (name !== event || !pred(data)) return;
      c.socket.offAny(on);
      const i = c.events.findIndex((e) => e.event === name && e.data === data);
      if (i >= 0) c.events.splice(i, 1);
      resolve(data);
    };
    c.socket.onAny(on);
  });
}

describe.skipIf(skip !== null)('socket.io long-polling through nginx, two instances', () => {
  let work: string;
  let db: TestDatabase;
  let nginx: Nginx;
  const instances: FleetInstance[] = [];
  const clients: Client[] = [];
  const lb = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    request(nginx.url, method, path, body, headers);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'outpost-sio-nginx-'));
    db = await createTestDatabase();
    const env = {
      ...fleetEnv(db.url),
      // All the clients are the admin user (debug_mode names the instance): more than the default 5 per user.
      OUTPOST_WS_MAX_PER_DEVICE: '100',
    };
    for (const name of ['a', 'b']) instances.push(new FleetInstance(name, join(work, name), env));
    await Promise.all(instances.map((i) => i.start()));
    nginx = await startNginx(
      join(work, 'nginx'),
      instances.map((i) => i.port),
    );
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.socket.close();
    await nginx?.stop();
    await Promise.all(instances.map((i) => i.stop()));
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('polling sessions from many addresses stay on their instance, spread over both, and receive events raised on either', async () => {
    const login = await lb('POST', '/api/auth/login', FLEET_ADMIN);
    expect(login.status, login.text).toBe(200);
    const token = login.body.token as string;
    for (let n = 2; n <= 13; n++) {
      const address = `127.0.0.${n}`;
      const socket = io(nginx.url, {
        transports: ['polling'],
        upgrade: false,
        reconnection: false,
        forceNew: true,
        auth: { token },
        // Each client's own source address: what nginx hashes to pick its instance.
        agent: new Agent({ localAddress: address, keepAlive: true }) as unknown as string,
      });
      const c: Client = { address, socket, events: [] };
      socket.onAny((event: string, data: unknown) => c.events.push({ event, data }));
      socket.on('connect_error', (e) => c.events.push({ event: 'connect_error', data: e.message }));
      socket.on('disconnect', (r) => c.events.push({ event: 'disconnect', data: r }));
      clients.push(c);
    }
    await Promise.all(clients.map((c) => next(c, 'authenticated')));

    // Which instance holds each session: debug_mode's connection_stats names it.
    const holder = new Map<Client, string>();
    for (const c of clients) {
      c.socket.emit('debug_mode', { enabled: true });
      holder.set(c, (await next(c, 'connection_stats')).instance as string);
    }
    const used = new Set(holder.values());
    expect(used.size, 'sessions spread over both instances').toBe(2);

    // Every answer ends a long-poll and every emit is a POST: each of these requests must reach the session's
    // instance, or the client would be told "Session ID unknown" and disconnect.
    for (let round = 0; round < 6; round++) {
      for (const c of clients) c.socket.emit('ping');
      await Promise.all(clients.map((c) => next(c, 'pong')));
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(clients.every((c) => c.socket.connected && c.socket.io.engine.transport.name === 'polling')).toBe(
      true,
    );

    // An event raised through nginx (round robin: on either instance) reaches every session on both.
    for (let k = 0; k < 2; k++) {
      const sent = await lb(
        'POST',
        '/api/admin/notify',
        { all: true, title: `all-${k}`, message: 'm' },
        admin,
      );
      expect(sent.status, sent.text).toBe(201);
      await Promise.all(clients.map((c) => next(c, 'notification', (d) => d.title === `all-${k}`)));
    }
    for (const c of clients) {
      c.socket.emit('debug_mode', { enabled: true });
      expect((await next(c, 'connection_stats')).instance, c.address).toBe(holder.get(c));
    }
  });

  it('a polling client upgrades to websocket through nginx on the same instance', async () => {
    const login = await lb('POST', '/api/auth/login', FLEET_ADMIN);
    const socket = io(nginx.url, {
      transports: ['polling', 'websocket'],
      reconnection: false,
      forceNew: true,
      auth: { token: login.body.token as string },
      agent: new Agent({ localAddress: '127.0.0.20', keepAlive: true }) as unknown as string,
    });
    const c: Client = { address: '127.0.0.20', socket, events: [] };
    socket.onAny((event: string, data: unknown) => c.events.push({ event, data }));
    clients.push(c);
    await next(c, 'authenticated');
    if (socket.io.engine.transport.name !== 'websocket') {
      await new Promise((r) => socket.io.engine.once('upgrade', r));
    }
    expect(socket.io.engine.transport.name).toBe('websocket');
    socket.emit('ping');
    await next(c, 'pong');
  });
});
