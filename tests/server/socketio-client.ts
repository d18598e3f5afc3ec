/** A real socket.io-client that records every event and lets a test wait for the next matching one. */
import { io, type Socket } from 'socket.io-client';

export type SioTransport = 'websocket' | 'polling';

export interface SioEvent {
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary payloads
}

export class SioClient {
  readonly history: SioEvent[] = [];
  private readonly unread: SioEvent[] = [];
  private waiters: { pred: (e: SioEvent) => boolean; resolve: (e: SioEvent) => void }[] = [];
  private disconnectWaiters: ((reason: string) => void)[] = [];
  disconnected: string | undefined;

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, data: unknown) => this.push({ event, data }));
    socket.on('disconnect', (reason) => {
      this.disconnected = reason;
      for (const w of this.disconnectWaiters) w(reason);
      this.disconnectWaiters = [];
    });
  }

  private push(e: SioEvent): void {
    this.history.push(e);
    const i = this.waiters.findIndex((w) => w.pred(e));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(e);
    else this.unread.push(e);
  }

  /**
   * Connects over one transport only (`polling` stays on long-polling; `websocket` never polls) and waits for
   * the `connect`; rejects with the `connect_error` (its `data` attached) when the server refuses.
   */
  static connect(
    url: string,
    transport: SioTransport,
    opts: { token?: string; upgrade?: boolean; extraHeaders?: Record<string, string> } = {},
  ): Promise<SioClient> {
    const socket = io(url, {
      transports: opts.upgrade ? ['polling', 'websocket'] : [transport],
      upgrade: opts.upgrade ?? false,
      reconnection: false,
      forceNew: true,
      auth: opts.token ? { token: opts.token } : {},
      extraHeaders: opts.extraHeaders,
    });
    const client = new SioClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(client));
      socket.once('connect_error', (err: Error & { data?: unknown }) => {
        socket.close();
        reject(err);
      });
    });
  }

  emit(event: string, data?: unknown): void {
    if (data === undefined) this.socket.emit(event);
    else this.socket.emit(event, data);
  }

  /** The first event (already received or future) named `event` and matching `pred` not returned before. */
  next(event: string, pred: (d: SioEvent['data']) => boolean = () => true): Promise<SioEvent> {
    const match = (e: SioEvent) => e.event === event && pred(e.data);
    const i = this.unread.findIndex(match);
    if (i >= 0) return Promise.resolve(this.unread.splice(i, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ pred: match, resolve }));
  }

  has(event: string, pred: (d: SioEvent['data']) => boolean = () => true): boolean {
    return this.history.some((e) => e.event === event && pred(e.data));
  }

  /** A `ping` → `pong` round trip: everything the server sent before it has arrived. */
  async sync(): Promise<void> {
    this.emit('ping');
    await this.next('pong');
  }

  waitDisconnect(): Promise<string> {
    if (this.disconnected !== undefined) return Promise.resolve(this.disconnected);
    return new Promise((resolve) => this.disconnectWaiters.push(resolve));
  }

  close(): void {
    this.socket.close();
  }

  /** The Engine.IO transport in use now. */
  transport(): string {
    return this.socket.io.engine.transport.name;
  }
}
