import { HeartbeatBuffer, peekUnwritten } from '../../devices/heartbeat-buffer.js';
import type { HeartbeatWrite } from '../devices-repo.js';
import type { Queryable } from './db.js';

/**
 * A flush is one statement per FLUSH_CHUNK rows: one array parameter per column (no 65,535-parameter cap),
 * prepared once per connection. Rows are sorted by device_key and the chunks sent in that order, one at a time, so two instances flushing overlapping devices lock
 * their rows in the same order and never deadlock. `GREATEST` keeps last_seen from moving back when an older
 * flush (another instance, a slow connection) lands after a newer one, and the device-reported fields of such a
 * stale row are left as they are.
 */
const HEARTBEATS_SQL = `
  INSERT INTO device_heartbeats AS h (device_key, last_seen, ip_address, ip_lan, ip_public, mac, cluster_ip, note,
    hostname)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[])
  ON CONFLICT (device_key) DO UPDATE SET
    last_seen = GREATEST(h.last_seen, excluded.last_seen),
    ip_address = CASE WHEN h.last_seen > excluded.last_seen THEN h.ip_address
      ELSE COALESCE(excluded.ip_address, h.ip_address) END,
    ip_lan = CASE WHEN h.last_seen > excluded.last_seen THEN h.ip_lan
      ELSE COALESCE(excluded.ip_lan, h.ip_lan) END,
    ip_public = CASE WHEN h.last_seen > excluded.last_seen THEN h.ip_public
      ELSE COALESCE(excluded.ip_public, h.ip_public) END,
    mac = CASE WHEN h.last_seen > excluded.last_seen THEN h.mac ELSE COALESCE(excluded.mac, h.mac) END,
    cluster_ip = CASE WHEN h.last_seen > excluded.last_seen THEN h.cluster_ip
      ELSE COALESCE(excluded.cluster_ip, h.cluster_ip) END,
    note = CASE WHEN h.last_seen > excluded.last_seen THEN h.note ELSE COALESCE(excluded.note, h.note) END,
    hostname = CASE WHEN h.last_seen > excluded.last_seen THEN h.hostname
      ELSE COALESCE(excluded.hostname, h.hostname) END`;

/**
 * Heartbeats per device and hour ride in the same statement (a data-modifying CTE, so both commit or neither):
 * one more batched upsert per chunk of a flush, never a write per heartbeat. Keys arrive sorted, the same lock
 * order as the heartbeat upsert, so two instances never deadlock on it either. `date_trunc` on timestamptz
 * truncates in the session time zone: UTC hours are asked for explicitly.
 */
const FLUSH_SQL = `
  WITH hb AS (${HEARTBEATS_SQL} RETURNING 1)
  INSERT INTO device_heartbeat_hours AS c (device_key, hour, beats)
  SELECT k, date_trunc('hour', t, 'UTC'), n FROM unnest($1::text[], $2::timestamptz[], $10::int[]) AS u(k, t, n)
  ON CONFLICT (device_key, hour) DO UPDATE SET beats = c.beats + excluded.beats`;

/**
 * Rows per statement. node-postgres serialises array parameters on the event loop before sending; 10,000 rows
 * (a flush at 20,000 heartbeats/s) measured tens of milliseconds of stall for every request in flight, so a flush
 * goes out in chunks with the loop free in between.
 */
export const FLUSH_CHUNK = 1000;

/** The statement's parameters for a batch: one array per column, rows sorted by device_key. */
export function flushParams(
  batch: Map<string, HeartbeatWrite>,
  keys = [...batch.keys()].sort(),
): unknown[][] {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
  for (const k of keys) {
    const { last_seen, info } = batch.get(k)!;
    cols[0]!.push(k);
    cols[1]!.push(last_seen);
    cols[2]!.push(info.ip_address ?? null);
    cols[3]!.push(info.ip_lan ?? null);
    cols[4]!.push(info.ip_public ?? null);
    cols[5]!.push(info.mac ?? null);
    cols[6]!.push(info.cluster_ip ?? null);
    cols[7]!.push(info.note ?? null);
    cols[8]!.push(info.hostname ?? null);
    cols[9]!.push(batch.get(k)!.beats ?? 1);
  }
  return cols;
}

/**
 * Write-behind for heartbeats on PostgreSQL: `record` coalesces in memory (per device, newest wins), a timer
 * flushes every `flushMs` in one upsert, reads lay unwritten entries over stored rows (`peek`), and `close`
 * writes what is left. A failed flush gives its entries back (newer heartbeats win) and the next tick retries.
 */
export class HeartbeatFlusher {
  private readonly pending = new HeartbeatBuffer();
  private inflight: Map<string, HeartbeatWrite> | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  /** Last write failure, kept for diagnosis; the entries are retried on the next tick. */
  lastError: unknown;

  constructor(
    private readonly db: Queryable,
    flushMs: number,
  ) {
    this.timer = setInterval(() => {
      if (!this.running && this.pending.size > 0) this.flush().catch(() => {}); // kept in lastError
    }, flushMs);
    this.timer.unref();
  }

  get size(): number {
    return this.pending.size + (this.inflight?.size ?? 0);
  }

  record(deviceKey: string, hb: HeartbeatWrite): void {
    if (!this.closed) this.pending.record(deviceKey, hb);
  }

  discard(deviceKey: string): void {
    this.pending.discard(deviceKey);
    this.inflight?.delete(deviceKey);
  }

  peek(deviceKey: string): HeartbeatWrite | undefined {
    return peekUnwritten(this.pending, this.inflight, deviceKey);
  }

  /** Writes everything recorded before the call (waits for a flush already running first). */
  async flush(): Promise<void> {
    while (this.running) await this.running.catch(() => {});
    if (this.pending.size === 0) return;
    const batch = this.pending.drain();
    this.inflight = batch;
    const done = new Set<string>();
    const write = (async () => {
      try {
        // Each chunk commits on its own, in key order, so no transaction ever waits for a row out of order.
        // Registration may have discarded keys from the batch meanwhile: the map is read at send time.
        const keys = [...batch.keys()].sort();
        for (let i = 0; i < keys.length; i += FLUSH_CHUNK) {
          const chunk = keys.slice(i, i + FLUSH_CHUNK).filter((k) => batch.has(k));
          if (chunk.length > 0)
            await this.db.query(FLUSH_SQL, flushParams(batch, chunk), 'outpost_heartbeat_flush');
          for (const k of chunk) done.add(k);
        }
      } catch (err) {
        this.lastError = err;
        // What did not commit goes back; committed chunks must not, or their hourly counts would be added twice.
        for (const k of done) batch.delete(k);
        this.pending.restore(batch);
        throw err;
      } finally {
        this.inflight = undefined;
      }
    })();
    this.running = write;
    try {
      await write;
    } finally {
      this.running = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
  }
}
