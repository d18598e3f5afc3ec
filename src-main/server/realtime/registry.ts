import { WebSocket } from 'ws';
import { WS_CLOSE } from '../../../src-shared/api/realtime.js';
import type { WsLimits } from '../config.js';
import type { ServerMetrics } from '../metrics.js';
import type { Target } from './hub.js';
import { encode } from './messages.js';

export interface SocketUser {
  id: number;
  username: string;
  name: string | null;
  email: string | null;
  role: string;
}

/** Per-socket state; kept small (a 10k-socket server holds 10k of these). */
export interface Conn {
  readonly id: string;
  readonly ws: WebSocket;
  readonly ip: string;
  user: SocketUser | null;
  deviceId: string | null;
  /** deviceId, or `user:<id>` for a login without a device: the per-device limit and room key. */
  key: string | null;
  alive: boolean;
  msgCount: number;
  windowEndsAt: number;
  authTimer: NodeJS.Timeout | undefined;
}

const SEND_OPTS = { binary: false, compress: false, fin: true } as const;

/**
 * This server's live sockets and their indexes (per IP, per device room, authenticated, watchers). Delivery
 * writes one pre-serialized Buffer to each recipient and drops any socket whose unsent buffer is over the limit,
 * so a slow consumer can never make the server hold unbounded memory.
 */
export class ConnectionRegistry {
  private readonly all = new Set<Conn>();
  private readonly authed = new Set<Conn>();
  private readonly watchers = new Set<Conn>();
  private readonly byIp = new Map<string, number>();
  private readonly rooms = new Map<string, Set<Conn>>();
  private totalConnections = 0;
  private minute = 0;
  private thisMinute = 0;
  private lastMinute = 0;
  private pinger: NodeJS.Timeout | undefined;
  /** Set once shutdown began: sockets that still complete an upgrade are turned away at once. */
  closing = false;

  constructor(
    private readonly limits: WsLimits,
    private readonly metrics: ServerMetrics,
    /** An authenticated socket joined (true) or left (false); fleet-wide presence is counted from these. */
    private readonly onMembership: (c: Conn, joined: boolean) => void,
  ) {}

  ipCount(ip: string): number {
    return this.byIp.get(ip) ?? 0;
  }

  deviceCount(key: string): number {
    return this.rooms.get(key)?.size ?? 0;
  }

  add(c: Conn): void {
    this.all.add(c);
    this.byIp.set(c.ip, this.ipCount(c.ip) + 1);
    this.totalConnections++;
    this.metrics.wsTotal.inc();
    this.metrics.wsActive.inc();
    this.startPinger();
  }

  /** Joins the socket to its device room and reports the membership (presence is counted fleet-wide). */
  authenticate(c: Conn): void {
    this.authed.add(c);
    if (c.user && c.user.role !== 'station') this.watchers.add(c);
    if (c.key) {
      let room = this.rooms.get(c.key);
      if (!room) this.rooms.set(c.key, (room = new Set()));
      room.add(c);
    }
    this.onMembership(c, true);
  }

  /** Authenticated sockets, to find those a revocation ends. */
  authenticated(): ReadonlySet<Conn> {
    return this.authed;
  }

  remove(c: Conn): void {
    if (!this.all.delete(c)) return;
    if (c.authTimer) clearTimeout(c.authTimer);
    const n = this.ipCount(c.ip) - 1;
    if (n > 0) this.byIp.set(c.ip, n);
    else this.byIp.delete(c.ip);
    this.metrics.wsActive.dec();
    const wasAuthed = this.authed.delete(c);
    this.watchers.delete(c);
    if (c.key) {
      const room = this.rooms.get(c.key);
      if (room?.delete(c) && room.size === 0) this.rooms.delete(c.key);
    }
    if (wasAuthed) this.onMembership(c, false);
  }

  private recipients(target: Target): ReadonlySet<Conn> | undefined {
    if (target.kind === 'device') return this.rooms.get(target.deviceId);
    return target.kind === 'watchers' ? this.watchers : this.authed;
  }

  hasRecipients(target: Target): boolean {
    return (this.recipients(target)?.size ?? 0) > 0;
  }

  deliver(target: Target, frame: Buffer): number {
    const set = this.recipients(target);
    if (!set) return 0;
    let n = 0;
    for (const c of set) if (this.send(c, frame)) n++;
    return n;
  }

  send(c: Conn, frame: Buffer): boolean {
    const ws = c.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > this.limits.maxBufferedBytes) {
      // A consumer this far behind will not catch up; holding more for it only grows memory.
      ws.terminate();
      return false;
    }
    ws.send(frame, SEND_OPTS);
    return true;
  }

  countEvent(): void {
    const m = Math.floor(Date.now() / 60_000);
    if (m !== this.minute) {
      this.lastMinute = m === this.minute + 1 ? this.thisMinute : 0;
      this.thisMinute = 0;
      this.minute = m;
    }
    this.thisMinute++;
  }

  activeCount(): number {
    return this.all.size;
  }
  totalCount(): number {
    return this.totalConnections;
  }
  roomCount(): number {
    return this.rooms.size;
  }
  eventsPerMinute(): number {
    this.countEvent();
    this.thisMinute--;
    return Math.max(this.lastMinute, this.thisMinute);
  }

  /** Protocol pings on one timer for all sockets; a socket that missed the previous pong is dropped. */
  private startPinger(): void {
    if (this.pinger) return;
    this.pinger = setInterval(() => {
      for (const c of this.all) {
        if (!c.alive) {
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        try {
          c.ws.ping();
        } catch {
          c.ws.terminate();
        }
      }
    }, this.limits.pingIntervalMs);
    this.pinger.unref();
  }

  /** Server shutdown: a proper close frame (1001) to everyone, then terminate whoever has not closed. */
  async closeAll(graceMs = 1000): Promise<void> {
    this.closing = true;
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = undefined;
    const open = [...this.all];
    if (open.length === 0) return;
    const bye = encode('disconnected', { reason: 'server_shutdown', timestamp: new Date().toISOString() });
    await new Promise<void>((resolve) => {
      let left = open.length;
      const timer = setTimeout(() => {
        for (const c of open) c.ws.terminate();
        resolve();
      }, graceMs);
      timer.unref();
      const done = () => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const c of open) {
        if (c.ws.readyState === WebSocket.CLOSED) {
          done();
          continue;
        }
        c.ws.once('close', done);
        if (c.ws.readyState === WebSocket.OPEN) {
          this.send(c, bye);
          c.ws.close(WS_CLOSE.GOING_AWAY, 'server shutting down');
        } else if (c.ws.readyState !== WebSocket.CLOSING) {
          c.ws.terminate();
        }
      }
    });
  }
}
