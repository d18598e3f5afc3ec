/** Test helpers for the seed 001/003 family: users, logins, and a `ws` client that queues frames. */
import { WebSocket } from 'ws';
import type { TestServer } from '../helpers/server.js';

export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';

export async function createUser(
  srv: TestServer,
  username: string,
  role: 'admin' | 'operator' | 'station' = 'station',
  password = 'station-password-1',
): Promise<{ id: number; username: string; password: string }> {
  const res = await srv.api(
    'POST',
    '/api/admin/users',
    { username, password, role },
    { 'x-api-key': srv.apiKey },
  );
  if (res.status !== 201) throw new Error(`create user ${username}: ${res.status} ${res.text}`);
  return { id: res.body.data.id, username, password };
}

export async function login(
  srv: TestServer,
  user: { username: string; password: string },
  deviceId?: string,
): Promise<string> {
  const res = await srv.api('POST', '/api/auth/login', {
    username: user.username,
    password: user.password,
    ...(deviceId ? { device_id: deviceId } : {}),
  });
  if (res.status !== 200) throw new Error(`login ${user.username}: ${res.status} ${res.text}`);
  return res.body.token as string;
}

export async function createClient(srv: TestServer, name: string, quota: number): Promise<number> {
  const res = await srv.api('POST', '/api/admin/clients', { name, quota }, { 'x-api-key': srv.apiKey });
  if (res.status !== 201) throw new Error(`create client: ${res.status} ${res.text}`);
  return res.body.data.id as number;
}

export interface Frame {
  type: string;
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary frames
}

/** A real `ws` client that records every frame and lets a test wait for the next matching one. */
export class TestSocket {
  /** Frames not yet returned by next(). */
  readonly frames: Frame[] = [];
  /** Every frame received. */
  readonly history: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const f = JSON.parse(raw.toString()) as Frame;
      this.history.push(f);
      const i = this.waiters.findIndex((w) => w.pred(f));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(f);
      else this.frames.push(f);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.closeWaiters) w(this.closed);
      this.closeWaiters = [];
    });
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static open(url: string, query = ''): Promise<TestSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws${query}`);
    const sock = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(sock));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The first frame (already received or future) matching `event` and `pred` that no earlier next() returned. */
  next(event: string, pred: (d: Frame['data']) => boolean = () => true): Promise<Frame> {
    const match = (f: Frame) => f.event === event && f.type === event && pred(f.data);
    for (let i = 0; i < this.frames.length; i++) {
      const f = this.frames[i]!;
      if (match(f)) {
        this.frames.splice(i, 1);
        return Promise.resolve(f);
      }
    }
    return new Promise((resolve) => this.waiters.push({ pred: match, resolve }));
  }

  has(event: string): boolean {
    return this.history.some((f) => f.event === event);
  }

  waitClose(): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  close(): Promise<{ code: number; reason: string }> {
    if (!this.closed) this.ws.close();
    return this.waitClose();
  }
}

/** Opens a seed-001 style socket and waits until the server confirmed the login. */
export async function stationSocket(srv: TestServer, token: string, deviceId: string): Promise<TestSocket> {
  const s = await TestSocket.open(
    srv.url,
    `?token=${encodeURIComponent(token)}&device_id=${encodeURIComponent(deviceId)}`,
  );
  await s.next('authenticated');
  return s;
}
