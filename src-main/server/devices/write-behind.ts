import type { HeartbeatWrite } from '../store/devices-repo.js';
import { HeartbeatBuffer, peekUnwritten } from './heartbeat-buffer.js';

export type Entry = [deviceKey: string, hb: HeartbeatWrite];

export interface WriteBehindOptions {
  /** Writes the entries in ONE transaction; synchronous (better-sqlite3). Throws on failure. */
  writeSlice: (entries: Entry[]) => void;
  flushMs: number;
  /** Rows per transaction; between slices the event loop serves requests, so a flush never stalls it long. */
  sliceSize?: number;
}

/**
 * Schedules the persistence of buffered heartbeats. Every `flushMs` the pending batch is taken and written in
 * slices (one transaction each, `setImmediate` between them): with 10k+ rows per flush a single transaction would
 * block the event loop for tens of milliseconds, which shows directly in the heartbeat p99. Until a slice is
 * written its entries stay visible through `peek`, so reads never go back in time. `flushSync` (explicit flush,
 * close) writes everything at once.
 */
export class WriteBehind {
  private readonly pending = new HeartbeatBuffer();
  private inflight: Map<string, HeartbeatWrite> | undefined;
  private queue: Entry[] = [];
  private pos = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly sliceSize: number;
  /** Last write failure, kept for diagnosis; the entries are retried on the next tick. */
  lastError: unknown;
  private failed = 0;

  /** Writes that failed since start (each kept its entries for the next tick), for /metrics. */
  get failures(): number {
    return this.failed;
  }

  constructor(private readonly opts: WriteBehindOptions) {
    this.sliceSize = opts.sliceSize ?? 1000;
    this.timer = setInterval(() => this.startFlush(), opts.flushMs);
    this.timer.unref();
  }

  get size(): number {
    return this.pending.size + (this.inflight ? this.queue.length - this.pos : 0);
  }

  record(deviceKey: string, hb: HeartbeatWrite): void {
    if (!this.closed) this.pending.record(deviceKey, hb);
  }

  /** Forgets a device's unwritten heartbeats (its row was just rewritten by registration). */
  discard(deviceKey: string): void {
    this.pending.discard(deviceKey);
    this.inflight?.delete(deviceKey);
  }

  /** What reads must lay over the stored row: unwritten heartbeats, newest last. */
  peek(deviceKey: string): HeartbeatWrite | undefined {
    return peekUnwritten(this.pending, this.inflight, deviceKey);
  }

  /** Writes everything now (explicit flush, close). Throws if the store does; the entries are kept then. */
  flushSync(): void {
    if (this.inflight) this.writeRest(this.queue.length);
    if (this.pending.size === 0) return;
    this.take();
    this.writeRest(this.queue.length);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.flushSync();
  }

  private take(): void {
    this.inflight = this.pending.drain();
    this.queue = [...this.inflight];
    this.pos = 0;
  }

  private startFlush(): void {
    if (this.inflight || this.pending.size === 0) return; // a slow flush is still going: catch up next tick
    this.take();
    this.step(this.inflight);
  }

  private step(batch: Map<string, HeartbeatWrite> | undefined): void {
    if (!batch || batch !== this.inflight) return; // finished by flushSync meanwhile
    try {
      this.writeRest(Math.min(this.queue.length, this.pos + this.sliceSize));
    } catch {
      return; // writeRest gave the entries back; the next tick retries
    }
    if (this.inflight) setImmediate(() => this.step(batch));
  }

  /** Writes queue[pos, end) (skipping discarded keys) in one transaction; finishes the batch at the end. */
  private writeRest(end: number): void {
    const batch = this.inflight;
    if (!batch) return;
    const live = this.queue.slice(this.pos, end).filter(([k, hb]) => batch.get(k) === hb);
    try {
      if (live.length > 0) this.opts.writeSlice(live);
    } catch (err) {
      this.lastError = err;
      this.failed++;
      const rest = new Map(this.queue.slice(this.pos).filter(([k, hb]) => batch.get(k) === hb));
      this.inflight = undefined;
      this.queue = [];
      this.pending.restore(rest);
      throw err;
    }
    this.pos = end;
    if (this.pos >= this.queue.length) {
      this.inflight = undefined;
      this.queue = [];
    }
  }
}
