/**
 * A copy station as the fleet suite drives it, in plain HTTP and WebSocket (the wire format of
 * src-shared/api/sync.ts and src-shared/api/realtime.ts): it pushes batches of copies with op ids through nginx
 * and retries a batch that got no answer (502/503/504 or a reset) with the SAME op ids until one arrives, and it
 * keeps a `/ws` socket open through nginx, reconnecting whenever it drops. Everything it sends, gets and sees is
 * recorded with wall-clock times for the assertions.
 */
import { WebSocket } from 'ws';
import type { OpResult, PushResponse } from '../../../src-shared/api/sync.js';

/** One `/ws` connection, from the server's `authenticated` frame to its close. */
export interface SocketSession {
  index: number;
  authAt: number;
  closedAt?: number;
  /** quota_updated frames as received: client, remaining, receipt time. */
  quota: { client_id: number; remaining: number; at: number }[];
}

export interface PushedBatch {
  ops: { uuid: string; clientId: number }[];
  attempts: number;
  /** Answers that were not an answer: 502/503/504 statuses or transport errors. */
  retried: string[];
  /** When the attempt that got the 200 was sent, and when its answer arrived. */
  sentAt: number;
  ackAt: number;
  /** nginx's $upstream_addr for the acknowledged attempt (the last address is the instance that answered). */
  upstream: string;
  results: OpResult[];
}

const RETRYABLE = new Set([502, 503, 504]);

export class Station {
  readonly sessions: SocketSession[] = [];
  readonly batches: PushedBatch[] = [];
  /** Anything that is not a 200 or a retryable gateway answer; must stay empty. */
  readonly unexpected: string[] = [];
  private seq = 0;
  private stopped = false;
  private ws: WebSocket | undefined;

  constructor(
    readonly deviceId: string,
    private readonly token: string,
    private readonly baseUrl: string,
  ) {}

  /** Opens the socket and resolves once the server confirmed the login; keeps it open until stop(). */
  connect(): Promise<void> {
    return this.openSession();
  }

  private openSession(): Promise<void> {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(this.token)}&device_id=${encodeURIComponent(this.deviceId)}`;
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url);
      let session: SocketSession | undefined;
      ws.on('message', (raw) => {
        const f = JSON.parse(raw.toString()) as { event: string; data: Record<string, unknown> };
        if (f.event === 'authenticated' && !session) {
          session = { index: this.sessions.length, authAt: Date.now(), quota: [] };
          this.sessions.push(session);
          this.ws = ws;
          resolve();
        } else if (f.event === 'quota_updated' && session) {
          session.quota.push({
            client_id: Number(f.data.client_id),
            remaining: Number(f.data.remaining),
            at: Date.now(),
          });
        }
      });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        if (session) session.closedAt = Date.now();
        else reject(new Error(`socket for ${this.deviceId} closed before authentication`));
        if (!this.stopped && this.ws === ws) this.reconnect();
      });
    });
  }

  /** Reconnects through nginx until a session is authenticated again (nginx picks a surviving instance). */
  private reconnect(): void {
    this.ws = undefined;
    const attempt = (delay: number) => {
      if (this.stopped) return;
      setTimeout(() => {
        if (this.stopped) return;
        this.openSession().catch(() => attempt(Math.min(delay * 2, 1000)));
      }, delay);
    };
    attempt(50);
  }

  /**
   * Pushes one batch of `ops` (client ids) and retries it, same op ids and all, until it is answered with a 200
   * or `giveUpAt` passes. Op ids are `<device>-<n>`, the station's own, never reused.
   */
  async push(clientIds: number[], giveUpAt: number): Promise<PushedBatch | undefined> {
    const ops = clientIds.map((clientId) => ({ uuid: `${this.deviceId}-${++this.seq}`, clientId }));
    const body = JSON.stringify({
      device_id: this.deviceId,
      queue: ops.map((o, i) => ({
        id: this.seq - ops.length + 1 + i,
        uuid: o.uuid,
        type: 'copy',
        payload: { client_id: o.clientId, uid: '04A1B2C3D4' },
      })),
    });
    const retried: string[] = [];
    for (let attempts = 1; ; attempts++) {
      const sentAt = Date.now();
      try {
        const res = await fetch(`${this.baseUrl}/api/sync/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status === 200) {
          const parsed = JSON.parse(text) as PushResponse;
          const batch: PushedBatch = {
            ops,
            attempts,
            retried,
            sentAt,
            ackAt: Date.now(),
            upstream: res.headers.get('x-outpost-upstream') ?? '',
            results: parsed.data,
          };
          this.batches.push(batch);
          return batch;
        }
        if (!RETRYABLE.has(res.status)) {
          this.unexpected.push(`push ${ops[0]!.uuid}: HTTP ${res.status} ${text.slice(0, 200)}`);
          return undefined;
        }
        retried.push(String(res.status));
      } catch (err) {
        retried.push(err instanceof Error ? err.name : 'error');
      }
      if (Date.now() > giveUpAt) {
        this.unexpected.push(
          `push ${ops[0]!.uuid}: no answer after ${attempts} attempts (${retried.join(',')})`,
        );
        return undefined;
      }
      // A short pause before the retry: the instance that died is skipped by nginx from now on.
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The open session's socket state; undefined while reconnecting. */
  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.stopped = true;
    this.ws?.close();
  }
}
