import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';
import { createClient, createUser, login, stationSocket, TestSocket } from './realtime-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls /health until the server reports `n` active sockets (the server sees a close after the client does). */
async function activeBecomes(srv: TestServer, n: number): Promise<void> {
  for (;;) {
    const h = await srv.api('GET', '/health');
    if (h.body.connections.active === n) return;
    await sleep(20);
  }
}

describe('/ws realtime', () => {
  let srv: TestServer;
  let station: { username: string; password: string };
  const sockets: TestSocket[] = [];
  const track = (s: TestSocket) => (sockets.push(s), s);
  const admin = () => ({ 'x-api-key': srv.apiKey });

  beforeAll(async () => {
    srv = await startTestServer();
    station = await createUser(srv, 'rt-station');
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await srv?.dispose();
  });

  it('seed 001 style: /ws?token&device_id → connected + authenticated; {type:ping} → {type:pong} (type and event)', async () => {
    const token = await login(srv, station, 'S001');
    const s = track(await TestSocket.open(srv.url, `?token=${token}&device_id=S001`));
    const connected = await s.next('connected');
    expect(connected.data.socketId).toMatch(/^[0-9a-f]+$/);
    const auth = await s.next('authenticated');
    expect(auth.data).toMatchObject({
      user: { username: 'rt-station', role: 'station' },
      device_id: 'S001',
      socketId: connected.data.socketId,
    });
    s.send({ type: 'ping' });
    const pong = await s.next('pong');
    expect(pong).toMatchObject({ type: 'pong', event: 'pong' });
  });

  it('URL with a bad token → HTTP 401 at the upgrade; device_id not matching the token → 403', async () => {
    await expect(TestSocket.open(srv.url, '?token=not.a.jwt&device_id=S001')).rejects.toThrow('HTTP 401');
    const token = await login(srv, station, 'REAL-DEV');
    await expect(TestSocket.open(srv.url, `?token=${token}&device_id=OTHER-DEV`)).rejects.toThrow('HTTP 403');
  });

  it('seed 003 style: connect without token → connected {socketId,timestamp}; authenticate → authenticated {user,permissions,socketId}', async () => {
    const s = track(await TestSocket.open(srv.url));
    const connected = await s.next('connected');
    expect(Date.parse(connected.data.timestamp)).not.toBeNaN();
    s.send({ event: 'authenticate', data: { token: await login(srv, station, 'S003') } });
    const auth = await s.next('authenticated');
    expect(auth.data.socketId).toBe(connected.data.socketId);
    expect(auth.data.user).toMatchObject({ username: 'rt-station', role: 'station' });
    expect(auth.data.permissions).toContain('receive_notifications');
  });

  it('authenticate with a bad token → authentication_error {error, code AUTH_FAILED}; the socket stays open', async () => {
    const s = track(await TestSocket.open(srv.url));
    s.send({ event: 'authenticate', data: { token: 'garbage' } });
    const err = await s.next('authentication_error');
    expect(err.data).toEqual({ error: 'Invalid token', code: 'AUTH_FAILED' });
    s.send({ event: 'authenticate', data: {} });
    await s.next('authentication_error');
    s.send({ type: 'ping' });
    await s.next('pong');
    expect(s.closed).toBeUndefined();
  });

  it('bad input → error {error, code, timestamp} and the socket stays open: malformed JSON, unknown event, non-object, binary, no event name', async () => {
    const s = track(await TestSocket.open(srv.url));
    s.send('{not json');
    expect((await s.next('error')).data).toMatchObject({ code: 'INVALID_JSON' });
    s.send({ event: 'launch_missiles', data: {} });
    const unknown = await s.next('error');
    expect(unknown.data).toMatchObject({
      code: 'VALIDATION_ERROR',
      error: "Unknown event 'launch_missiles'",
    });
    expect(Date.parse(unknown.data.timestamp)).not.toBeNaN();
    s.send('[1,2,3]');
    expect((await s.next('error')).data.code).toBe('VALIDATION_ERROR');
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await s.next('error')).data.code).toBe('VALIDATION_ERROR');
    s.send({ data: { x: 1 } });
    expect((await s.next('error')).data.code).toBe('VALIDATION_ERROR');
    s.send({ event: 'notification_read', data: { notification_id: 'notif_1' } });
    expect((await s.next('error')).data.code).toBe('PERMISSION_DENIED');
    s.send({ type: 'ping' });
    await s.next('pong');
    expect(s.closed).toBeUndefined();
  });

  it('quota_updated after an admin PUT reaches every authenticated station (both styles), not unauthenticated sockets', async () => {
    const c = await createClient(srv, 'rt-quota', 10);
    const a = track(await stationSocket(srv, await login(srv, station, 'Q-A'), 'Q-A'));
    const b = track(await stationSocket(srv, await login(srv, station, 'Q-B'), 'Q-B'));
    const c3 = track(await TestSocket.open(srv.url));
    c3.send({ event: 'authenticate', data: { token: await login(srv, station, 'Q-C') } });
    await c3.next('authenticated');
    const anon = track(await TestSocket.open(srv.url));
    await anon.next('connected');
    await srv.api('PUT', `/api/admin/clients/${c}`, { quota: 42 }, admin());
    for (const s of [a, b, c3]) {
      const f = await s.next('quota_updated', (d) => d.client_id === c);
      expect(f.data).toMatchObject({ client_id: c, remaining: 42, name: 'rt-quota' });
      expect(typeof f.data.ts).toBe('number');
    }
    anon.send({ type: 'ping' });
    await anon.next('pong');
    expect(anon.has('quota_updated')).toBe(false);
  });

  it('a push sends sync_completed and copy_completed to the pushing device only, and quota_updated to everyone', async () => {
    const c = await createClient(srv, 'rt-push', 5);
    const tokenP = await login(srv, station, 'P-1');
    const pusher = track(await stationSocket(srv, tokenP, 'P-1'));
    const other = track(await stationSocket(srv, await login(srv, station, 'P-2'), 'P-2'));
    const res = await srv.api(
      'POST',
      '/api/sync/push',
      {
        device_id: 'P-1',
        queue: [{ id: 1, uuid: 'rt-push-uuid-1', type: 'copy', payload: { client_id: c, uid: '04AB12CD' } }],
      },
      { authorization: `Bearer ${tokenP}` },
    );
    expect(res.status).toBe(200);
    const done = await pusher.next('sync_completed');
    expect(done.data).toMatchObject({ device_id: 'P-1', synced: 1, failed: 0, total: 1 });
    const copied = await pusher.next('copy_completed');
    expect(copied.data.copies).toEqual([{ id: 1, uuid: 'rt-push-uuid-1', client_id: c, uid: '04AB12CD' }]);
    expect((await other.next('quota_updated', (d) => d.client_id === c)).data.remaining).toBe(4);
    other.send({ type: 'ping' });
    await other.next('pong');
    expect(other.has('sync_completed')).toBe(false);
  });

  it('notify: to one device_id or all; notification_read → notification_updated; unknown id → error; GET /api/notifications shows read', async () => {
    const tokenN = await login(srv, station, 'N-1');
    const n1 = track(await stationSocket(srv, tokenN, 'N-1'));
    const n2 = track(await stationSocket(srv, await login(srv, station, 'N-2'), 'N-2'));
    const one = await srv.api(
      'POST',
      '/api/admin/notify',
      { device_id: 'N-1', title: 'Hi', message: 'Only you' },
      admin(),
    );
    expect(one.status).toBe(201);
    expect(one.body.data).toMatchObject({
      id: expect.stringMatching(/^notif_\d+$/),
      device_id: 'N-1',
      delivered: 1,
      read: false,
    });
    const got = await n1.next('notification');
    expect(got.data).toMatchObject({ id: one.body.data.id, title: 'Hi', message: 'Only you', read: false });
    const all = await srv.api(
      'POST',
      '/api/admin/notify',
      { all: true, title: 'All', message: 'Everyone' },
      admin(),
    );
    expect(all.body.data.delivered).toBeGreaterThanOrEqual(2);
    await n2.next('notification', (d) => d.id === all.body.data.id);
    expect(n2.history.some((f) => f.event === 'notification' && f.data.id === one.body.data.id)).toBe(false);
    n1.send({ event: 'notification_read', data: { notification_id: one.body.data.id } });
    const upd = await n1.next('notification_updated');
    expect(upd.data).toMatchObject({ notification_id: one.body.data.id, read: true });
    expect(Date.parse(upd.data.read_at)).not.toBeNaN();
    n2.send({ event: 'notification_read', data: { notification_id: one.body.data.id } });
    expect((await n2.next('error')).data.code).toBe('NOTIFICATION_NOT_FOUND');
    n1.send({ event: 'notification_read', data: { notification_id: 'bogus' } });
    expect((await n1.next('error')).data.code).toBe('VALIDATION_ERROR');
    const list = await srv.api('GET', '/api/notifications', undefined, { authorization: `Bearer ${tokenN}` });
    const mine = list.body.data.find((n: { id: string }) => n.id === one.body.data.id);
    expect(mine.read).toBe(true);
    expect((await srv.api('POST', '/api/admin/notify', { title: 'x', message: 'y' }, admin())).status).toBe(
      400,
    );
    expect((await srv.api('POST', '/api/admin/notify', { all: true, title: 'x', message: 'y' })).status).toBe(
      401,
    );
  });

  it('presence: admins see device_online when a device opens its first socket and device_offline when its last closes', async () => {
    const watcher = track(await TestSocket.open(srv.url));
    watcher.send({ event: 'authenticate', data: { token: await login(srv, TEST_ADMIN) } });
    await watcher.next('authenticated');
    const token = await login(srv, station, 'PRES-1');
    const s1 = await stationSocket(srv, token, 'PRES-1');
    const online = await watcher.next('device_online', (d) => d.device_id === 'PRES-1');
    expect(online.data).toMatchObject({ device_id: 'PRES-1', username: 'rt-station' });
    const s2 = await stationSocket(srv, token, 'PRES-1');
    const before = (await srv.api('GET', '/health')).body.connections.active;
    await s1.close();
    await activeBecomes(srv, before - 1);
    watcher.send({ type: 'ping' });
    await watcher.next('pong');
    expect(
      watcher.history.filter((f) => f.event === 'device_online' && f.data.device_id === 'PRES-1'),
    ).toHaveLength(1);
    expect(watcher.has('device_offline')).toBe(false);
    await s2.close();
    const offline = await watcher.next('device_offline', (d) => d.device_id === 'PRES-1');
    expect(Date.parse(offline.data.last_seen)).not.toBeNaN();
  });

  it('/health, /status and /metrics count real connections', async () => {
    const base = (await srv.api('GET', '/health')).body.connections;
    const opened = [
      await TestSocket.open(srv.url),
      await TestSocket.open(srv.url),
      await TestSocket.open(srv.url),
    ];
    const h = (await srv.api('GET', '/health')).body.connections;
    expect(h.active).toBe(base.active + 3);
    expect(h.total).toBe(base.total + 3);
    const st = (await srv.api('GET', '/status')).body.websocket;
    expect(st.active_connections).toBe(base.active + 3);
    const metrics = (await srv.api('GET', '/metrics')).text;
    expect(metrics).toContain(`websocket_connections_active{transport="ws"} ${base.active + 3}`);
    expect(metrics).toContain(`websocket_connections_total{transport="ws"} ${base.total + 3}`);
    await opened[0]!.close();
    await activeBecomes(srv, base.active + 2);
    await Promise.all(opened.slice(1).map((s) => s.close()));
    await activeBecomes(srv, base.active);
  });
});

describe('/ws limits and lifecycle', () => {
  it('unauthenticated sockets are closed (4001) after OUTPOST_WS_AUTH_TIMEOUT_MS', async () => {
    const srv = await startTestServer({ env: { OUTPOST_WS_AUTH_TIMEOUT_MS: '300' } });
    try {
      const s = await TestSocket.open(srv.url);
      const closed = await s.waitClose();
      expect(closed.code).toBe(4001);
      expect(s.history.some((f) => f.event === 'error' && f.data.code === 'AUTH_FAILED')).toBe(true);
      const authed = await stationSocket(srv, await login(srv, TEST_ADMIN, 'T-1'), 'T-1');
      await sleep(600);
      authed.send({ type: 'ping' });
      await authed.next('pong');
      await authed.close();
    } finally {
      await srv.dispose();
    }
  });

  it('more messages per minute than OUTPOST_WS_MESSAGES_PER_MIN → error RATE_LIMITED; the socket stays open', async () => {
    const srv = await startTestServer({ env: { OUTPOST_WS_MESSAGES_PER_MIN: '5' } });
    try {
      const s = await TestSocket.open(srv.url);
      for (let i = 0; i < 8; i++) s.send({ type: 'ping' });
      const err = await s.next('error');
      expect(err.data.code).toBe('RATE_LIMITED');
      expect(Date.parse(err.data.details.resetAt)).toBeGreaterThan(Date.now());
      expect(s.history.filter((f) => f.event === 'pong')).toHaveLength(5);
      expect(s.history.filter((f) => f.event === 'error')).toHaveLength(1);
      expect(s.closed).toBeUndefined();
      await s.close();
    } finally {
      await srv.dispose();
    }
  });

  it('connections per IP over OUTPOST_WS_MAX_PER_IP → error RATE_LIMITED and close 1008', async () => {
    const srv = await startTestServer({ env: { OUTPOST_WS_MAX_PER_IP: '2' } });
    try {
      const a = await TestSocket.open(srv.url);
      const b = await TestSocket.open(srv.url);
      const c = await TestSocket.open(srv.url);
      const closed = await c.waitClose();
      expect(closed.code).toBe(1008);
      expect(c.history[0]).toMatchObject({ event: 'error', data: { code: 'RATE_LIMITED' } });
      await a.close();
      await activeBecomes(srv, 1);
      const d = await TestSocket.open(srv.url);
      await d.next('connected');
      await Promise.all([b.close(), d.close()]);
    } finally {
      await srv.dispose();
    }
  });

  it('connections per device over OUTPOST_WS_MAX_PER_DEVICE → RATE_LIMITED + 1008 (URL token and authenticate); other devices unaffected', async () => {
    const srv = await startTestServer({ env: { OUTPOST_WS_MAX_PER_DEVICE: '2' } });
    try {
      const token = await login(srv, TEST_ADMIN, 'LIM-1');
      const a = await stationSocket(srv, token, 'LIM-1');
      const b = await stationSocket(srv, token, 'LIM-1');
      const c = await TestSocket.open(srv.url, `?token=${token}&device_id=LIM-1`);
      expect((await c.waitClose()).code).toBe(1008);
      expect(c.history.some((f) => f.event === 'error' && f.data.code === 'RATE_LIMITED')).toBe(true);
      const d = await TestSocket.open(srv.url);
      d.send({ event: 'authenticate', data: { token } });
      expect((await d.waitClose()).code).toBe(1008);
      const other = await stationSocket(srv, await login(srv, TEST_ADMIN, 'LIM-2'), 'LIM-2');
      await Promise.all([a.close(), b.close(), other.close()]);
    } finally {
      await srv.dispose();
    }
  });

  it('a socket that stops answering pings is dropped (OUTPOST_WS_PING_INTERVAL_MS)', async () => {
    const srv = await startTestServer({ env: { OUTPOST_WS_PING_INTERVAL_MS: '100' } });
    try {
      const token = await login(srv, TEST_ADMIN, 'DEAD-1');
      const ws = new WebSocket(`${srv.url.replace('http', 'ws')}/ws?token=${token}&device_id=DEAD-1`, {
        autoPong: false,
      });
      const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
      expect(code).toBe(1006);
      await activeBecomes(srv, 0);
    } finally {
      await srv.dispose();
    }
  });

  it('a slow consumer whose unsent buffer passes OUTPOST_WS_MAX_BUFFERED_BYTES is closed', async () => {
    const srv = await startTestServer({ env: { OUTPOST_WS_MAX_BUFFERED_BYTES: '4096' } });
    try {
      const token = await login(srv, TEST_ADMIN, 'SLOW-1');
      const s = await stationSocket(srv, token, 'SLOW-1');
      // Stop reading: the kernel buffers fill, then the server's own send buffer grows.
      (s.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const blob = 'x'.repeat(200_000);
      for (let i = 0; i < 200; i++) {
        await srv.api(
          'POST',
          '/api/admin/notify',
          { device_id: 'SLOW-1', title: 't', message: 'm', data: { blob } },
          { 'x-api-key': srv.apiKey },
        );
        if ((await srv.api('GET', '/health')).body.connections.active === 0) break;
      }
      await activeBecomes(srv, 0);
    } finally {
      await srv.dispose();
    }
  });

  it('server restart: clients see a clean close (1001) and can reconnect with the same token', async () => {
    const first = await startTestServer();
    const token = await login(first, TEST_ADMIN, 'RS-1');
    const s = await stationSocket(first, token, 'RS-1');
    const anon = await TestSocket.open(first.url);
    await first.stop();
    expect((await s.waitClose()).code).toBe(1001);
    expect((await anon.waitClose()).code).toBe(1001);
    const second = await startTestServer({ dataDir: first.dataDir });
    try {
      const again = await stationSocket(second, token, 'RS-1');
      again.send({ type: 'ping' });
      await again.next('pong');
      await again.close();
    } finally {
      await second.dispose();
    }
  });
});
