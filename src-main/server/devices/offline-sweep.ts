import type { Runtime, Singleton, Target } from '../runtime/runtime.js';
import type { ServerEvent } from '../../../src-shared/api/realtime.js';
import type { DevicesRepo } from '../store/devices-repo.js';
import { MISSED_INTERVALS_OFFLINE } from './presence.js';

/**
 * Heartbeats of another instance may still sit in its write-behind buffer (written within 0.5 s, 1 s at the
 * latest): a device counts as silent only that much after its 3 missed intervals, or a beat in flight elsewhere
 * would raise a false `device_offline`.
 */
const FLUSH_MARGIN_MS = 1000;
/** Devices marked per statement: a mass outage is raised in bounded batches, not one huge transaction. */
const BATCH = 1000;

export interface OfflineSweepOptions {
  runtime: Runtime;
  devices: DevicesRepo;
  /** Where `device_offline` goes (the realtime hub: this instance's sockets and the fleet's). */
  publish(target: Target, event: ServerEvent, data: unknown): void;
  heartbeatIntervalSec: number;
  now?: () => number;
  /** How often the leader sweeps; default half a heartbeat interval (1 s at least). */
  everyMs?: number;
}

export interface OfflineSweep {
  /** The runtime singleton that runs `sweep` on one instance of the fleet at a time. */
  readonly singleton: Singleton;
  /** One pass: marks and announces every device silent for 3 intervals; returns how many. Tests call it. */
  sweep(): Promise<number>;
}

/**
 * Seed 004 presence, pushed rather than only computed on read: a device silent for 3 heartbeat intervals is
 * announced to admins and operators as `device_offline`, once for the fleet. One instance sweeps at a time (a
 * runtime singleton, taken over when its holder dies), and the store marks each silence in the same statement
 * that finds it, so even two sweeps overlapping during a takeover announce a device once.
 */
export function startOfflineSweep(opts: OfflineSweepOptions): OfflineSweep {
  const now = opts.now ?? Date.now;
  const silentMs = MISSED_INTERVALS_OFFLINE * opts.heartbeatIntervalSec * 1000 + FLUSH_MARGIN_MS;
  const sweep = async (): Promise<number> => {
    const t = now();
    const cutoff = new Date(t - silentMs).toISOString();
    let total = 0;
    for (;;) {
      const batch = await opts.devices.claimOffline(cutoff, BATCH);
      const timestamp = new Date(t).toISOString();
      for (const d of batch) {
        opts.publish({ kind: 'watchers' }, 'device_offline', {
          device_id: d.device_key,
          device_key: d.device_key,
          last_seen: d.last_seen,
          reason: 'heartbeat_missed',
          timestamp,
        });
      }
      total += batch.length;
      if (batch.length < BATCH) return total;
      // A mass outage is many batches: let requests in between them.
      await new Promise<void>((r) => setImmediate(r));
    }
  };
  const everyMs = opts.everyMs ?? Math.max(1000, opts.heartbeatIntervalSec * 500);
  const singleton = opts.runtime.singleton('device-offline-sweep', everyMs, async () => {
    await sweep();
  });
  return { singleton, sweep };
}
