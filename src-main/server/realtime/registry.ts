import { WS_CLOSE } from '../../../src-shared/api/realtime.js';
import type { WsLimits } from '../config.js';
import type { ServerMetrics } from '../metrics.js';
import type { Target } from './hub.js';
import { WsLink, type Link, type RealtimeTransport } from './link.js';
import { encode, type OutFrame } from './messages.js';

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
  /** The transport carrying it (`/ws` or socket.io): limits and rooms do not depend on it. */
  readonly link: Link;
  readonly ip: string;
  user: SocketUser | null;
  deviceId: string | null;
  /** deviceId, or `user:<id>` for a login without a device: the per-device limit and room key. */
  key: string | null;
  alive: boolean;
  msgCount: number;
  windowEndsAt: number;
  authTimer: NodeJS.Timeout | undefined;
  /** Set while an admin has debug_mode on: the periodic stats push. */
  debugTimer?: NodeJS.Timeout;
}

/**
 * This server's live sockets of both transports and their indexes (per IP, per device room, authenticated,
 * watchers), so the per-IP and per-device limits count `/ws` and socket.io sockets together. Delivery writes
 * one frame, serialized once per transport, to each recipient and drops any socket whose unsent buffer is over
 * the limit, so a slow consumer can never make the server hold unbounded memory.
 */
export class ConnectionRegistry {
  private readonly all = new Set<Conn>();
  private readonly authed = new Set<Conn>();
  private readonly watchers = new Set<Conn>();
  private readonly byIp = new Map<string, number>();
  private readonly rooms = new Map<string, Set<Conn>>();
  private totalConnections = 0;
  private readonly activeBy: Record<RealtimeTransport, number> = { ws: 0, socketio: 0 };
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
    this.activeBy[c.link.transport]++;
    this.metrics.wsTotal.inc({ transport: c.link.transport });
    this.metrics.wsActive.inc({ transport: c.link.transport });
    if (c.link instanceof WsLink) this.startPinger();
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
    if (c.debugTimer) clearInterval(c.debugTimer);
    const n = this.ipCount(c.ip) - 1;
    if (n > 0) this.byIp.set(c.ip, n);
    else this.byIp.delete(c.ip);
    this.activeBy[c.link.transport]--;
    this.metrics.wsActive.dec({ transport: c.link.transport });
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

  deliver(target: Target, frame: OutFrame): number {
    const set = this.recipients(target);
    if (!set) return 0;
    let n = 0;
    for (const c of set) if (this.send(c, frame)) n++;
    return n;
  }

  send(c: Conn, frame: OutFrame): boolean {
    const link = c.link;
    if (!link.isOpen()) return false;
    if (link.buffered() > this.limits.maxBufferedBytes) {
      // A consumer this far behind will not catch up; holding more for it only grows memory.
      link.terminate();
      return false;
    }
    link.send(frame);
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
  activeByTransport(): Readonly<Record<RealtimeTransport, number>> {
    return this.activeBy;
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

  /**
   * Protocol pings on one timer for all `/ws` sockets; one that missed the previous pong is dropped. (socket.io
   * sockets are kept alive by Engine.IO's own heartbeat, configured with the same interval.)
   */
  private startPinger(): void {
    if (this.pinger) return;
    this.pinger = setInterval(() => {
      for (const c of this.all) {
        if (!(c.link instanceof WsLink)) continue;
        if (!c.alive) {
          c.link.terminate();
          continue;
        }
        c.alive = false;
        try {
          c.link.ws.ping();
        } catch {
          c.link.terminate();
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
        for (const c of open) c.link.terminate();
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
        if (!this.all.has(c)) {
          done();
          continue;
        }
        c.link.onClose(done);
        if (c.link.isOpen()) {
          this.send(c, bye);
          c.link.close(WS_CLOSE.GOING_AWAY, 'server shutting down');
        } else {
          c.link.terminate();
        }
      }
    });
  }
}
