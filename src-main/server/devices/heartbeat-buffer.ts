import type { DeviceInfoFields, HeartbeatWrite } from '../store/devices-repo.js';

/**
 * Write-behind buffer for device heartbeats. At the target rate (17k heartbeats/s) one SQLite write per request
 * would cost more than the request; instead each heartbeat overwrites its device's pending entry in memory and
 * `drain()` hands the coalesced batch to one transaction. The store drains on a timer (≤ 500 ms), before every
 * read of device rows, and on close, so acknowledged heartbeats are visible at once and durable within 1 s.
 */
export class HeartbeatBuffer {
  private pending = new Map<string, HeartbeatWrite>();

  get size(): number {
    return this.pending.size;
  }

  record(deviceKey: string, hb: HeartbeatWrite): void {
    const prev = this.pending.get(deviceKey);
    if (!prev) {
      // Taken as is (the caller hands over a fresh object); null fields are skipped when written (COALESCE).
      this.pending.set(deviceKey, hb);
      return;
    }
    // Later values win; a field the newer heartbeat left out keeps the older heartbeat's value.
    prev.last_seen = hb.last_seen;
    prev.info = { ...prev.info, ...definedOnly(hb.info) };
    prev.beats = (prev.beats ?? 1) + (hb.beats ?? 1);
  }

  peek(deviceKey: string): HeartbeatWrite | undefined {
    return this.pending.get(deviceKey);
  }

  /** Drops a pending entry (registration rewrote the row; an older heartbeat must not overwrite it). */
  discard(deviceKey: string): void {
    this.pending.delete(deviceKey);
  }

  /** Takes everything pending; the caller writes it, and gives it back with `restore` if the write failed. */
  drain(): Map<string, HeartbeatWrite> {
    const batch = this.pending;
    this.pending = new Map();
    return batch;
  }

  /** Puts a failed batch back without overwriting newer heartbeats that arrived meanwhile. */
  restore(batch: Map<string, HeartbeatWrite>): void {
    for (const [key, hb] of batch) {
      const newer = this.pending.get(key);
      if (!newer) this.pending.set(key, hb);
      else {
        newer.info = { ...hb.info, ...definedOnly(newer.info) };
        newer.beats = (newer.beats ?? 1) + (hb.beats ?? 1);
      }
    }
  }
}

/** The fields that carry a value (null and undefined mean "keep what is stored"). */
export function definedOnly(info: DeviceInfoFields): DeviceInfoFields {
  const out: DeviceInfoFields = {};
  for (const k in info) {
    const v = info[k as keyof DeviceInfoFields];
    if (v !== undefined && v !== null) out[k as keyof DeviceInfoFields] = v;
  }
  return out;
}

/**
 * What a read lays over the stored row while a flush is running: the batch being written (`inflight`) under what
 * arrived since (`pending`), the newer entry's defined fields winning.
 */
export function peekUnwritten(
  pending: HeartbeatBuffer,
  inflight: Map<string, HeartbeatWrite> | undefined,
  deviceKey: string,
): HeartbeatWrite | undefined {
  const newer = pending.peek(deviceKey);
  const older = inflight?.get(deviceKey);
  if (!older) return newer;
  if (!newer) return older;
  return { last_seen: newer.last_seen, info: { ...older.info, ...definedOnly(newer.info) } };
}
