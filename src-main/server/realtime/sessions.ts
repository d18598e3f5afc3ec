import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData } from 'ws';
import {
  AuthenticateData,
  CLIENT_EVENTS,
  DebugModeData,
  NotificationReadData,
  WS_CLOSE,
} from '../../../src-shared/api/realtime.js';
import type { TokenClaims } from '../../../src-shared/api/auth.js';
import type { JwtService } from '../auth/jwt.js';
import type { Revocation } from '../auth/principal-gate.js';
import type { ServerContext } from '../context.js';
import type { PresenceRoom } from '../runtime/runtime.js';
import { FleetHub, type RealtimeHub } from './hub.js';
import { AppError } from '../errors.js';
import type { Link } from './link.js';
import { encode, errorFrame, permissionsFor } from './messages.js';
import { ConnectionRegistry, type Conn, type SocketUser } from './registry.js';

/** How often an admin socket in debug_mode gets the stats events again. */
const DEBUG_PUSH_MS = 10_000;

export interface VerifiedLogin {
  claims: TokenClaims;
  user: SocketUser;
}

/**
 * The realtime session logic of both transports (`/ws` and socket.io): accepting a socket (limits),
 * authenticating it (URL or handshake token, or the `authenticate` event), and the client events. Every
 * handler catches its own failures and answers with an `error` event; bad input never closes the socket or
 * stops the loop.
 */
export class RealtimeSessions {
  readonly registry: ConnectionRegistry;
  readonly hub: RealtimeHub;
  private readonly prefix = randomBytes(4).toString('hex');
  private seq = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly jwt: JwtService,
    log: FastifyBaseLogger,
  ) {
    const { presence } = ctx.runtime;
    // One socket's join and leave are applied in that order even when the store answers out of order (a
    // socket that closes at once must not leave before it joined and stay counted for ever).
    const chains = new WeakMap<Conn, Promise<void>>();
    this.registry = new ConnectionRegistry(ctx.config.ws, ctx.metrics, (c, joined) => {
      const rooms = roomsOf(c);
      const next = (chains.get(c) ?? Promise.resolve())
        .then(() => (joined ? presence.join(rooms) : presence.leave(rooms)))
        .then(
          // Raised once for the fleet: only when the device's first socket anywhere opened, or its last closed.
          (flipped) => {
            if (!flipped) return;
            if (c.deviceId) this.announcePresence(c, joined);
            else this.announceUser(c, joined);
          },
          (err: unknown) => log.warn({ err }, 'presence update failed'),
        );
      chains.set(c, next);
    });
    this.hub = new FleetHub(this.registry, ctx.runtime.fanout, presence);
    jwt.principals.onRevoke((r) => this.endRevoked(r));
  }

  private announcePresence(c: Conn, online: boolean): void {
    const now = new Date().toISOString();
    const data = online
      ? {
          device_id: c.deviceId,
          user_id: c.user?.id,
          username: c.user?.username,
          role: c.user?.role,
          timestamp: now,
        }
      : { device_id: c.deviceId, user_id: c.user?.id, last_seen: now, timestamp: now };
    this.hub.publish({ kind: 'watchers' }, online ? 'device_online' : 'device_offline', data);
  }

  /** Seed 003's people presence: a user's first socket without a device opened anywhere, or its last closed. */
  private announceUser(c: Conn, online: boolean): void {
    const user = c.user;
    if (!user) return;
    const now = new Date().toISOString();
    const data = online
      ? {
          user_id: user.id,
          name: user.name ?? user.username,
          username: user.username,
          role: user.role,
          avatar: null,
          last_seen: now,
        }
      : { user_id: user.id, last_seen: now };
    this.hub.publish({ kind: 'watchers' }, online ? 'user_online' : 'user_offline', data);
  }

  /** A deleted or disabled user's sockets, or a released device's, must not keep receiving its events. */
  private endRevoked(r: Revocation): void {
    for (const c of [...this.registry.authenticated()]) {
      if ('userId' in r ? c.user?.id !== r.userId : c.deviceId !== r.deviceId) continue;
      this.registry.send(c, errorFrame('AUTH_FAILED', 'Session revoked: log in again'));
      c.link.close(WS_CLOSE.REVOKED, 'session revoked');
    }
  }

  /**
   * Token → claims + current user, or the AppError saying why not (401: bad token, user deleted or disabled;
   * 403: the token's device_id is bound to another account, so its room is not this user's to join).
   */
  async login(token: string): Promise<VerifiedLogin> {
    return this.jwt.authenticate(token);
  }

  /** `login`, with any refusal as undefined. */
  async verify(token: string): Promise<VerifiedLogin | undefined> {
    return this.login(token).catch((err: unknown) => {
      if (err instanceof AppError) return undefined;
      throw err;
    });
  }

  /**
   * A freshly connected socket of either transport; `login` is set when the URL or the socket.io handshake
   * carried a valid token. Returns the connection (the transport then feeds its messages to `onFrame` or
   * `onEvent`), or undefined when a limit refused it.
   */
  accept(link: Link, ip: string, login: VerifiedLogin | undefined): Conn | undefined {
    const limits = this.ctx.config.ws;
    if (this.registry.closing) {
      // Shutting down: a socket accepted now would hold server.close() open until the process is killed.
      link.close(WS_CLOSE.GOING_AWAY, 'server shutting down');
      return undefined;
    }
    // One registry holds both transports, so these limits count `/ws` and socket.io sockets together.
    if (this.registry.ipCount(ip) >= limits.maxPerIp) {
      return this.refuse(link, `Too many connections from this address (limit ${limits.maxPerIp})`);
    }
    const key = login ? keyOf(login) : null;
    if (key && this.registry.deviceCount(key) >= limits.maxPerDevice) {
      return this.refuse(link, `Too many connections for this device (limit ${limits.maxPerDevice})`);
    }
    const c: Conn = {
      id: `${this.prefix}${(++this.seq).toString(16).padStart(8, '0')}`,
      link,
      ip,
      user: null,
      deviceId: null,
      key: null,
      alive: true,
      msgCount: 0,
      windowEndsAt: 0,
      authTimer: undefined,
    };
    this.registry.add(c);
    link.onClose(() => this.registry.remove(c));
    this.registry.send(c, encode('connected', { socketId: c.id, timestamp: new Date().toISOString() }));
    if (login) {
      this.bind(c, login);
      return c;
    }
    c.authTimer = setTimeout(() => {
      c.authTimer = undefined;
      if (c.user) return;
      this.registry.send(c, errorFrame('AUTH_FAILED', 'Not authenticated in time'));
      link.close(WS_CLOSE.AUTH_TIMEOUT, 'authentication timeout');
    }, limits.authTimeoutMs);
    c.authTimer.unref();
    return c;
  }

  private refuse(link: Link, message: string): undefined {
    link.send(errorFrame('RATE_LIMITED', message));
    link.close(WS_CLOSE.POLICY, 'connection limit');
    return undefined;
  }

  private bind(c: Conn, login: VerifiedLogin): void {
    if (c.authTimer) clearTimeout(c.authTimer);
    c.authTimer = undefined;
    c.user = login.user;
    c.deviceId = login.claims.device_id;
    c.key = keyOf(login);
    this.registry.authenticate(c);
    this.registry.send(
      c,
      encode('authenticated', {
        user: login.user,
        permissions: permissionsFor(login.user.role),
        socketId: c.id,
        device_id: c.deviceId,
      }),
    );
  }

  /**
   * Counts one client message against the per-socket budget (the same for both transports); false when it is
   * over and must be dropped.
   */
  private admit(c: Conn): boolean {
    c.alive = true;
    const now = Date.now();
    if (now >= c.windowEndsAt) {
      c.windowEndsAt = now + 60_000;
      c.msgCount = 0;
    }
    if (++c.msgCount > this.ctx.config.ws.messagesPerMin) {
      // One error per window: answering every dropped message would let a flood double itself.
      if (c.msgCount === this.ctx.config.ws.messagesPerMin + 1) {
        const resetAt = new Date(c.windowEndsAt).toISOString();
        this.registry.send(c, errorFrame('RATE_LIMITED', 'Too many messages', { resetAt }));
      }
      return false;
    }
    this.registry.countEvent();
    return true;
  }

  /** A socket.io event: its name and first argument (an acknowledgement callback, if any, is not used). */
  onEvent(c: Conn, name: unknown, data: unknown): void {
    if (!this.admit(c)) return;
    this.dispatch(c, typeof name === 'string' ? name : undefined, data);
  }

  /** A `/ws` frame: JSON `{event|type, data?}`. */
  onFrame(c: Conn, raw: RawData, isBinary: boolean): void {
    if (!this.admit(c)) return;
    if (isBinary) return void this.registry.send(c, errorFrame('VALIDATION_ERROR', 'Send JSON text frames'));
    let msg: unknown;
    try {
      msg = JSON.parse(rawText(raw));
    } catch {
      return void this.registry.send(c, errorFrame('INVALID_JSON', 'Message is not valid JSON'));
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return void this.registry.send(c, errorFrame('VALIDATION_ERROR', 'Message must be a JSON object'));
    }
    const m = msg as Record<string, unknown>;
    const name = typeof m.event === 'string' ? m.event : typeof m.type === 'string' ? m.type : undefined;
    // Seed 003 puts arguments in `data`; seed 001 style puts them next to `type`.
    this.dispatch(c, name, m.data !== undefined ? m.data : m);
  }

  private dispatch(c: Conn, name: string | undefined, data: unknown): void {
    switch (name) {
      case 'ping':
        this.registry.send(c, encode('pong', { timestamp: new Date().toISOString() }));
        return;
      case 'authenticate':
        this.run(c, () => this.onAuthenticate(c, data));
        return;
      case 'notification_read':
        this.run(c, () => this.onNotificationRead(c, data));
        return;
      case 'debug_mode':
        this.onDebugMode(c, data);
        return;
      case 'typing_start':
      case 'typing_stop':
        // Seed 003's typing indicators are per forum thread; there are no threads here to relay them to.
        this.registry.send(
          c,
          errorFrame('VALIDATION_ERROR', 'Typing events are not supported: this server has no threads', {
            event: name,
          }),
        );
        return;
      default:
        this.registry.send(
          c,
          errorFrame(
            'VALIDATION_ERROR',
            // The caller's own text is named back only when it is a plain identifier.
            name === undefined
              ? 'Message needs an event or type'
              : /^[A-Za-z0-9_.:-]{1,64}$/.test(name)
                ? `Unknown event '${name}'`
                : 'Unknown event',
            { known: CLIENT_EVENTS },
          ),
        );
    }
  }

  /** Runs an async handler; a failure becomes an error frame, never an unhandled rejection. */
  private run(c: Conn, fn: () => Promise<void>): void {
    fn().catch(() => {
      this.registry.send(c, errorFrame('SERVER_ERROR', 'Internal server error'));
    });
  }

  private async onAuthenticate(c: Conn, data: unknown): Promise<void> {
    const parsed = AuthenticateData.safeParse(data);
    const login = parsed.success ? await this.verify(parsed.data.token) : undefined;
    if (!login) {
      this.registry.send(c, encode('authentication_error', { error: 'Invalid token', code: 'AUTH_FAILED' }));
      return;
    }
    if (c.user) {
      // Re-authenticating (e.g. after a token refresh) is fine for the same identity, never a switch.
      if (c.user.id === login.user.id && c.key === keyOf(login)) {
        this.registry.send(
          c,
          encode('authenticated', {
            user: login.user,
            permissions: permissionsFor(login.user.role),
            socketId: c.id,
            device_id: c.deviceId,
          }),
        );
      } else {
        this.registry.send(
          c,
          encode('authentication_error', {
            error: 'Socket already authenticated as someone else',
            code: 'AUTH_FAILED',
          }),
        );
      }
      return;
    }
    if (!c.link.isOpen()) return;
    const limit = this.ctx.config.ws.maxPerDevice;
    if (this.registry.deviceCount(keyOf(login)) >= limit) {
      this.registry.send(
        c,
        errorFrame('RATE_LIMITED', `Too many connections for this device (limit ${limit})`),
      );
      c.link.close(WS_CLOSE.POLICY, 'connection limit');
      return;
    }
    this.bind(c, login);
  }

  /** Seed 003's debug events (connection, memory and event figures), for administrators only. */
  private onDebugMode(c: Conn, data: unknown): void {
    if (!c.user) return void this.registry.send(c, errorFrame('PERMISSION_DENIED', 'Authenticate first'));
    if (c.user.role !== 'admin') {
      return void this.registry.send(c, errorFrame('PERMISSION_DENIED', 'debug_mode is for administrators'));
    }
    const parsed = DebugModeData.safeParse(data);
    if (!parsed.success) {
      return void this.registry.send(
        c,
        errorFrame('VALIDATION_ERROR', 'enabled must be true or false', [
          { field: 'enabled', message: 'boolean' },
        ]),
      );
    }
    if (c.debugTimer) clearInterval(c.debugTimer);
    c.debugTimer = undefined;
    this.registry.send(c, encode('debug_mode', { enabled: parsed.data.enabled }));
    if (!parsed.data.enabled) return;
    this.pushDebug(c);
    c.debugTimer = setInterval(() => this.pushDebug(c), DEBUG_PUSH_MS);
    c.debugTimer.unref();
  }

  private pushDebug(c: Conn): void {
    const r = this.registry;
    const timestamp = new Date().toISOString();
    const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
    const mem = process.memoryUsage();
    r.send(
      c,
      encode('connection_stats', {
        active: r.activeCount(),
        total: r.totalCount(),
        by_transport: r.activeByTransport(),
        rooms: r.roomCount(),
        instance: this.ctx.runtime.instanceId,
        timestamp,
      }),
    );
    r.send(
      c,
      encode('memory_usage', {
        rss: mb(mem.rss),
        heapTotal: mb(mem.heapTotal),
        heapUsed: mb(mem.heapUsed),
        external: mb(mem.external),
        timestamp,
      }),
    );
    r.send(c, encode('event_metrics', { events_per_minute: r.eventsPerMinute(), timestamp }));
  }

  private async onNotificationRead(c: Conn, data: unknown): Promise<void> {
    if (!c.user || !c.key) {
      return void this.registry.send(c, errorFrame('PERMISSION_DENIED', 'Authenticate first'));
    }
    const parsed = NotificationReadData.safeParse(data);
    const id = parsed.success ? parseNotificationId(parsed.data.notification_id) : undefined;
    if (id === undefined) {
      return void this.registry.send(
        c,
        errorFrame('VALIDATION_ERROR', 'notification_id required', [
          { field: 'notification_id', message: 'like notif_12' },
        ]),
      );
    }
    const found = await this.ctx.store.notifications.findVisible(id, c.key);
    if (!found)
      return void this.registry.send(c, errorFrame('NOTIFICATION_NOT_FOUND', 'Notification not found'));
    const readAt = await this.ctx.store.notifications.markRead(id, c.key, new Date().toISOString());
    // Every socket of this reader (several windows) sees it read.
    this.hub.publish({ kind: 'device', deviceId: c.key }, 'notification_updated', {
      notification_id: `notif_${id}`,
      read: true,
      read_at: readAt,
    });
  }
}

/** The presence rooms of an authenticated socket; the device room goes last (see Presence.join). */
function roomsOf(c: Conn): PresenceRoom[] {
  const rooms: PresenceRoom[] = ['authenticated'];
  if (c.user && c.user.role !== 'station') rooms.push('watchers');
  if (c.key) rooms.push(`device:${c.key}`);
  return rooms;
}

function keyOf(login: VerifiedLogin): string {
  return login.claims.device_id ?? `user:${login.user.id}`;
}

function rawText(raw: RawData): string {
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  return Buffer.from(raw).toString('utf8');
}

export function parseNotificationId(v: string): number | undefined {
  const m = /^(?:notif_)?([1-9][0-9]{0,15})$/.exec(v);
  return m ? Number(m[1]) : undefined;
}
