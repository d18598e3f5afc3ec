import type WebSocket from 'ws';
import { describeError } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { backoffDelay } from '../../../src-shared/backoff.js';

const log = createLogger('realtime');

export interface RealtimeMessage {
  event: string;
  data: unknown;
}

export interface RealtimeClientOptions {
  /** `ws(s)://host:port/ws?token=…&device_id=…`, built fresh per attempt (the token may have been refreshed); null = not logged in. */
  url: () => Promise<string | null> | string | null;
  onMessage: (msg: RealtimeMessage) => void;
  onState?: (connected: boolean) => void;
  /** The upgrade was refused with 401: the token is no good. */
  onAuthRejected?: () => void;
  pingIntervalMs?: number;
  backoff?: { baseMs?: number; capMs?: number };
  connectTimeoutMs?: number;
}

/**
 * Seed 001's socket, made to survive an unattended station: it pings every 30 s, treats a missing pong as a dead
 * link, and reconnects forever with exponential backoff and full jitter (cap 30 s). One bad message is logged and
 * skipped; nothing the server sends can end the loop.
 */
export class RealtimeClient {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  private running = false;
  private _connected = false;
  /** Times (ms) of each successful open, for tests and status. */
  readonly openedAt: number[] = [];

  constructor(private readonly opts: RealtimeClientOptions) {}

  get connected(): boolean {
    return this._connected;
  }

  /** Failed attempts since the last successful open (the backoff exponent). */
  get failures(): number {
    return this.attempt;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {}); // a close racing the handshake may still emit one
      ws.terminate();
    }
    this.setConnected(false);
  }

  /** Reconnect now (after a login, or when the app knows the network is back), resetting the backoff. */
  kick(): void {
    if (!this.running) return;
    this.attempt = 0;
    if (this._connected) return;
    this.schedule(0);
  }

  send(msg: unknown): boolean {
    if (!this.ws || this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().catch((err: unknown) => {
        log.warn({ err: describeError(err) }, 'realtime connect failed');
        this.retryLater();
      });
    }, delay);
    this.timer.unref?.();
  }

  private retryLater(): void {
    if (!this.running) return;
    const delay = backoffDelay(this.attempt, {
      baseMs: this.opts.backoff?.baseMs ?? 1_000,
      capMs: this.opts.backoff?.capMs ?? 30_000,
    });
    this.attempt++;
    this.schedule(delay);
  }

  private async connect(): Promise<void> {
    if (!this.running || this.ws) return;
    const url = await this.opts.url();
    if (!this.running || this.ws) return;
    if (!url) {
      // Not logged in: wait (a login kicks us), but keep polling slowly in case the token appears another way.
      this.attempt = Math.max(this.attempt, 5);
      this.retryLater();
      return;
    }
    // ws is loaded on the first real connection: a station that is not logged in never needs it (memory of the
    // idle agent). Re-check afterwards: stop() or another connect may have happened meanwhile.
    const { default: WebSocketImpl } = await import('ws');
    if (!this.running || this.ws) return;
    const ws = new WebSocketImpl(url, {
      handshakeTimeout: this.opts.connectTimeoutMs ?? 10_000,
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.attempt = 0;
      this.openedAt.push(Date.now());
      this.startPing(ws);
      this.setConnected(true);
    });
    ws.on('message', (raw) => this.handle(raw));
    ws.on('pong', () => (this.awaitingPong = false));
    ws.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 401) this.opts.onAuthRejected?.();
      log.warn({ status: res.statusCode }, 'realtime upgrade refused');
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => log.debug({ err: describeError(err) }, 'realtime socket error'));
    ws.on('close', (code) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      this.setConnected(false);
      log.debug({ code }, 'realtime socket closed');
      this.retryLater();
    });
  }

  private handle(raw: WebSocket.RawData): void {
    this.awaitingPong = false; // any traffic proves the link is alive
    let msg: { type?: unknown; event?: unknown; data?: unknown };
    try {
      msg = JSON.parse(raw.toString()) as typeof msg;
    } catch {
      log.warn('realtime: message is not JSON; skipped');
      return;
    }
    const event =
      typeof msg?.event === 'string' ? msg.event : typeof msg?.type === 'string' ? msg.type : null;
    if (!event) {
      log.warn('realtime: message without type/event; skipped');
      return;
    }
    if (event === 'pong') return;
    try {
      this.opts.onMessage({ event, data: msg.data ?? null });
    } catch (err) {
      log.warn({ err: describeError(err), event }, 'realtime handler failed; continuing');
    }
  }

  private startPing(ws: WebSocket): void {
    this.stopPing();
    this.awaitingPong = false;
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        log.warn('realtime: no pong within one interval; reconnecting');
        ws.terminate();
        return;
      }
      this.awaitingPong = true;
      try {
        ws.send(JSON.stringify({ type: 'ping' }));
      } catch (err) {
        log.debug({ err: describeError(err) }, 'ping failed');
      }
    }, this.opts.pingIntervalMs ?? 30_000);
    this.pingTimer.unref?.();
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopPing();
  }

  private setConnected(v: boolean): void {
    if (v === this._connected) return;
    this._connected = v;
    try {
      this.opts.onState?.(v);
    } catch (err) {
      log.warn({ err: describeError(err) }, 'realtime state listener failed');
    }
  }
}
