import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';
import { createClient, createUser, JWT_SECRET, login, stationSocket, TestSocket } from './realtime-client.js';
import { SioClient, type SioTransport } from './socketio-client.js';

const signed = (claims: Record<string, unknown>, secret: string, exp: number | string) =>
  new SignJWT({ username: 'admin', role: 'admin', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('1')
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));

/** Seed 003's realtime API over the real socket.io-client, on each Engine.IO transport. */
describe.each<SioTransport>(['websocket', 'polling'])('socket.io over %s', (transport) => {
  let srv: TestServer;
  let station: { id: number; username: string; password: string };
  const clients: SioClient[] = [];
  const track = (c: SioClient) => (clients.push(c), c);
  const connect = async (opts: { token?: string } = {}) =>
    track(await SioClient.connect(srv.url, transport, opts));
  /** A socket authenticated with the `authenticate` event, as seed 003 shows it. */
  const authed = async (token: string) => {
    const c = await connect();
    c.emit('authenticate', { token });
    await c.next('authenticated');
    return c;
  };

  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_JWT_SECRET: JWT_SECRET } });
    station = await createUser(srv, `sio-station-${transport}`);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.dispose();
  });

  it('connect → connected {socketId, timestamp}; authenticate → authenticated {user, permissions, socketId}', async () => {
    const c = await connect();
    expect(c.transport()).toBe(transport);
    const connected = await c.next('connected');
    expect(connected.data.socketId).toMatch(/^[0-9a-f]+$/);
    expect(Date.parse(connected.data.timestamp)).not.toBeNaN();
    c.emit('authenticate', { token: await login(srv, TEST_ADMIN) });
    const auth = await c.next('authenticated');
    expect(auth.data).toMatchObject({
      user: { username: 'admin', role: 'admin' },
      socketId: connected.data.socketId,
    });
    expect(auth.data.permissions).toEqual(expect.arrayContaining(['receive_notifications', 'debug_mode']));
  });

  it('a handshake auth.token authenticates at connect; a bad, expired or forged one is refused with connect_error', async () => {
    const c = await connect({ token: await login(srv, station, `HS-${transport}`) });
    await c.next('connected');
    expect((await c.next('authenticated')).data).toMatchObject({
      user: { username: station.username },
      device_id: `HS-${transport}`,
    });
    const expired = await signed({}, JWT_SECRET, Math.floor(Date.now() / 1000) - 60);
    const forged = await signed({}, 'some-other-secret-0123456789abcdef-xyz', '1h');
    for (const token of ['not.a.jwt', expired, forged]) {
      const err = await SioClient.connect(srv.url, transport, { token }).then(
        () => undefined,
        (e: Error & { data?: { code: string; error: string } }) => e,
      );
      expect(err?.data).toMatchObject({ code: 'INVALID_TOKEN' });
    }
  });

  it('authenticate with a bad, expired or forged token → authentication_error AUTH_FAILED; the socket stays up', async () => {
    const c = await connect();
    const expired = await signed({}, JWT_SECRET, Math.floor(Date.now() / 1000) - 60);
    const forged = await signed({}, 'some-other-secret-0123456789abcdef-xyz', '1h');
    for (const token of ['garbage', expired, forged]) {
      c.emit('authenticate', { token });
      expect((await c.next('authentication_error')).data).toEqual({
        error: 'Invalid token',
        code: 'AUTH_FAILED',
      });
    }
    c.emit('authenticate', 'not an object');
    await c.next('authentication_error');
    await c.sync();
    expect(c.disconnected).toBeUndefined();
    expect(c.has('authenticated')).toBe(false);
  });

  it('a notification sent through the admin API with X-WebSocket-API-Key arrives; notification_read → notification_updated', async () => {
    const device = `N-${transport}`;
    const c = await connect({ token: await login(srv, station, device) });
    await c.next('authenticated');
    const sent = await srv.api(
      'POST',
      '/api/admin/notify',
      { device_id: device, title: 'Hi', message: 'over socket.io', data: { thread_id: 456 } },
      { 'x-websocket-api-key': srv.apiKey },
    );
    expect(sent.status, sent.text).toBe(201);
    const got = await c.next('notification');
    expect(got.data).toMatchObject({
      id: sent.body.data.id,
      title: 'Hi',
      message: 'over socket.io',
      data: { thread_id: 456 },
      read: false,
    });
    c.emit('notification_read', { notification_id: sent.body.data.id });
    const upd = await c.next('notification_updated');
    expect(upd.data).toMatchObject({ notification_id: sent.body.data.id, read: true });
    expect(Date.parse(upd.data.read_at)).not.toBeNaN();
  });

  it('X-WebSocket-API-Key is X-API-Key under another name: a wrong one is refused like a wrong X-API-Key', async () => {
    const body = { all: true, title: 't', message: 'm' };
    const wrong = await srv.api('POST', '/api/admin/notify', body, { 'x-websocket-api-key': 'x'.repeat(31) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('UNAUTHORIZED');
    const users = await srv.api('GET', '/api/admin/users', undefined, { 'x-websocket-api-key': srv.apiKey });
    expect(users.status).toBe(200);
  });

  it('presence: an admin sees user_online / user_offline for a person and device_online / device_offline for a station', async () => {
    const watcher = await authed(await login(srv, TEST_ADMIN));
    const person = await createUser(srv, `sio-person-${transport}`, 'operator');
    const p = await SioClient.connect(srv.url, transport, { token: await login(srv, person) });
    const online = await watcher.next('user_online', (d) => d.user_id === person.id);
    expect(online.data).toMatchObject({ user_id: person.id, name: person.username });
    expect(Date.parse(online.data.last_seen)).not.toBeNaN();
    p.close();
    const offline = await watcher.next('user_offline', (d) => d.user_id === person.id);
    expect(Date.parse(offline.data.last_seen)).not.toBeNaN();
    const device = `PRES-${transport}`;
    const s = await SioClient.connect(srv.url, transport, { token: await login(srv, station, device) });
    await watcher.next('device_online', (d) => d.device_id === device);
    s.close();
    await watcher.next('device_offline', (d) => d.device_id === device);
  });

  it('malformed events → error {error, code, timestamp} and the socket stays up; typing_* is refused; debug_mode is admin-only', async () => {
    const c = await authed(await login(srv, station, `BAD-${transport}`));
    c.emit('launch_missiles', { now: true });
    const unknown = await c.next('error');
    expect(unknown.data).toMatchObject({
      code: 'VALIDATION_ERROR',
      error: "Unknown event 'launch_missiles'",
    });
    expect(Date.parse(unknown.data.timestamp)).not.toBeNaN();
    c.emit('notification_read', 42);
    expect((await c.next('error')).data.code).toBe('VALIDATION_ERROR');
    c.emit('notification_read');
    expect((await c.next('error')).data.code).toBe('VALIDATION_ERROR');
    c.emit('typing_start', { thread_id: 456 });
    expect((await c.next('error')).data).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { event: 'typing_start' },
    });
    c.emit('debug_mode', { enabled: true });
    expect((await c.next('error')).data.code).toBe('PERMISSION_DENIED');
    await c.sync();
    expect(c.disconnected).toBeUndefined();
    expect(c.has('connection_stats')).toBe(false);

    const adm = await authed(await login(srv, TEST_ADMIN));
    adm.emit('debug_mode', { enabled: 'yes' });
    expect((await adm.next('error')).data.code).toBe('VALIDATION_ERROR');
    adm.emit('debug_mode', { enabled: true });
    expect((await adm.next('debug_mode')).data).toEqual({ enabled: true });
    const stats = await adm.next('connection_stats');
    expect(stats.data.by_transport.socketio).toBeGreaterThanOrEqual(2);
    expect((await adm.next('memory_usage')).data.heapUsed).toBeGreaterThan(0);
    expect(typeof (await adm.next('event_metrics')).data.events_per_minute).toBe('number');
    adm.emit('debug_mode', { enabled: false });
    expect((await adm.next('debug_mode')).data).toEqual({ enabled: false });
  });

  it('a sync push reaches a socket.io client and a /ws client alike (same event names and payloads)', async () => {
    const client = await createClient(srv, `sio-push-${transport}`, 5);
    const device = `PUSH-${transport}`;
    const token = await login(srv, station, device);
    const sio = await connect({ token });
    await sio.next('authenticated');
    const ws = await stationSocket(srv, token, device);
    try {
      const res = await srv.api(
        'POST',
        '/api/sync/push',
        {
          device_id: device,
          queue: [
            {
              id: 1,
              uuid: `sio-push-${transport}`,
              type: 'copy',
              payload: { client_id: client, uid: '04AB12CD' },
            },
          ],
        },
        { authorization: `Bearer ${token}` },
      );
      expect(res.status, res.text).toBe(200);
      for (const event of ['sync_completed', 'copy_completed', 'quota_updated'] as const) {
        const [a, b] = await Promise.all([sio.next(event), ws.next(event)]);
        expect(a.data).toEqual(b.data);
      }
    } finally {
      await ws.close();
    }
  });

  it('/status and /metrics count socket.io connections with the /ws ones, labelled by transport', async () => {
    const before = (await srv.api('GET', '/status')).body.websocket;
    const a = await connect();
    const b = await connect();
    const w = await TestSocket.open(srv.url);
    await Promise.all([a.next('connected'), b.next('connected'), w.next('connected')]);
    const st = (await srv.api('GET', '/status')).body.websocket;
    expect(st.by_transport.socketio).toBe(before.by_transport.socketio + 2);
    expect(st.by_transport.ws).toBe(before.by_transport.ws + 1);
    expect(st.active_connections).toBe(before.active_connections + 3);
    const health = (await srv.api('GET', '/health')).body.connections;
    expect(health.active).toBe(st.active_connections);
    const metrics = (await srv.api('GET', '/metrics')).text;
    expect(metrics).toContain(
      `websocket_connections_active{transport="socketio"} ${st.by_transport.socketio}`,
    );
    expect(metrics).toContain(`websocket_connections_active{transport="ws"} ${st.by_transport.ws}`);
    expect(metrics).toMatch(/websocket_connections_total\{transport="socketio"\} \d+/);
    const root = (await srv.api('GET', '/')).body;
    expect(root.socketio).toMatchObject({ path: '/socket.io/', transports: ['websocket', 'polling'] });
    await w.close();
  });
});

describe('socket.io limits, shared with /ws', () => {
  it('unauthenticated sockets get error AUTH_FAILED and are disconnected after OUTPOST_WS_AUTH_TIMEOUT_MS', async () => {
    const srv = await startTestServer({ env: { OUTPOST_WS_AUTH_TIMEOUT_MS: '300' } });
    try {
      for (const t of ['websocket', 'polling'] as const) {
        const c = await SioClient.connect(srv.url, t);
        expect(await c.waitDisconnect()).toBe('io server disconnect');
        expect(c.has('error', (d) => d.code === 'AUTH_FAILED')).toBe(true);
      }
    } finally {
      await srv.dispose();
    }
  });

  it('more messages per minute than OUTPOST_WS_MESSAGES_PER_MIN → one error RATE_LIMITED; the socket stays up', async () => {
    const srv = await startTestServer({ env: { OUTPOST_WS_MESSAGES_PER_MIN: '5' } });
    try {
      for (const t of ['websocket', 'polling'] as const) {
        const c = await SioClient.connect(srv.url, t);
        for (let i = 0; i < 8; i++) c.emit('ping');
        const err = await c.next('error');
        expect(err.data.code).toBe('RATE_LIMITED');
        expect(Date.parse(err.data.details.resetAt)).toBeGreaterThan(Date.now());
        expect(c.history.filter((e) => e.event === 'pong')).toHaveLength(5);
        expect(c.history.filter((e) => e.event === 'error')).toHaveLength(1);
        expect(c.disconnected).toBeUndefined();
        c.close();
      }
    } finally {
      await srv.dispose();
    }
  });

  it('the per-IP and per-device connection limits count /ws and socket.io sockets together', async () => {
    const srv = await startTestServer({
      env: { OUTPOST_WS_MAX_PER_IP: '3', OUTPOST_WS_MAX_PER_DEVICE: '2' },
    });
    const open: SioClient[] = [];
    try {
      const token = await login(srv, TEST_ADMIN, 'LIM-SIO');
      const ws = await stationSocket(srv, token, 'LIM-SIO');
      const sio = await SioClient.connect(srv.url, 'websocket', { token });
      open.push(sio);
      await sio.next('authenticated');
      // The device has a /ws and a socket.io socket: a third, on either transport, is over its limit.
      const third = await SioClient.connect(srv.url, 'polling', { token });
      open.push(third);
      expect(await third.waitDisconnect()).toBe('io server disconnect');
      expect(third.history[0]).toMatchObject({ event: 'error', data: { code: 'RATE_LIMITED' } });
      const ws3 = await TestSocket.open(srv.url, `?token=${token}&device_id=LIM-SIO`);
      expect((await ws3.waitClose()).code).toBe(1008);
      // The address has 2 sockets; a third is fine, a fourth (of either transport) is over the per-IP limit.
      const anon = await SioClient.connect(srv.url, 'polling');
      open.push(anon);
      await anon.next('connected');
      const over = await TestSocket.open(srv.url);
      expect((await over.waitClose()).code).toBe(1008);
      expect(over.history[0]).toMatchObject({ event: 'error', data: { code: 'RATE_LIMITED' } });
      await ws.close();
    } finally {
      for (const c of open) c.close();
      await srv.dispose();
    }
  });

  it('a socket.io client that stops reading is cut once its unsent events pass OUTPOST_WS_MAX_BUFFERED_BYTES', async () => {
    const srv = await startTestServer({ env: { OUTPOST_WS_MAX_BUFFERED_BYTES: '4096' } });
    try {
      const token = await login(srv, TEST_ADMIN, 'SLOW-SIO');
      // A raw Engine.IO long-polling session that connects and authenticates, then never polls again.
      const base = `${srv.url}/socket.io/?EIO=4&transport=polling`;
      const open = await (await fetch(base)).text();
      const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
      const post = (body: string) => fetch(`${base}&sid=${sid}`, { method: 'POST', body });
      await post(`40${JSON.stringify({ token })}`);
      await fetch(`${base}&sid=${sid}`); // the namespace CONNECT answer and `connected`
      const active = async () => (await srv.api('GET', '/status')).body.websocket.by_transport.socketio;
      expect(await active()).toBe(1);
      const blob = 'x'.repeat(2000);
      for (let i = 0; i < 50 && (await active()) > 0; i++) {
        await srv.api(
          'POST',
          '/api/admin/notify',
          { device_id: 'SLOW-SIO', title: 't', message: 'm', data: { blob } },
          { 'x-api-key': srv.apiKey },
        );
      }
      expect(await active()).toBe(0);
    } finally {
      await srv.dispose();
    }
  });
});

describe('socket.io transport details', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_SOCKETIO_CORS_ORIGINS: 'http://app.example' } });
  });
  afterAll(async () => srv?.dispose());

  it('starts on long-polling, upgrades to websocket, and keeps receiving events across the upgrade', async () => {
    const token = await login(srv, TEST_ADMIN, 'UPG-1');
    const c = await SioClient.connect(srv.url, 'polling', { token, upgrade: true });
    await c.next('authenticated');
    if (c.transport() !== 'websocket') {
      await new Promise((r) => c.socket.io.engine.once('upgrade', r));
    }
    expect(c.transport()).toBe('websocket');
    await srv.api(
      'POST',
      '/api/admin/notify',
      { device_id: 'UPG-1', title: 'a', message: 'b' },
      {
        'x-api-key': srv.apiKey,
      },
    );
    expect((await c.next('notification')).data.title).toBe('a');
    c.close();
  });

  it('cross-site origins: refused unless configured; the configured one gets CORS headers; same origin passes', async () => {
    const handshake = (origin: string) =>
      fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    const evil = await handshake('http://evil.example');
    expect(evil.status).toBe(403);
    const app = await handshake('http://app.example');
    expect(app.status).toBe(200);
    expect(app.headers.get('access-control-allow-origin')).toBe('http://app.example');
    const same = await handshake(srv.url);
    expect(same.status).toBe(200);
    // The websocket transport has no CORS: the Origin check refuses the upgrade itself.
    await expect(
      SioClient.connect(srv.url, 'websocket', { extraHeaders: { origin: 'http://evil.example' } }),
    ).rejects.toThrow();
  });

  it('server shutdown: socket.io clients get `disconnected` and a transport close (they reconnect by themselves)', async () => {
    const other = await startTestServer();
    const c = await SioClient.connect(other.url, 'polling', { token: await login(other, TEST_ADMIN) });
    await c.next('authenticated');
    await other.stop();
    expect(await c.waitDisconnect()).toBe('transport close');
    expect(c.has('disconnected', (d) => d.reason === 'server_shutdown')).toBe(true);
    await other.dispose();
  });
});
