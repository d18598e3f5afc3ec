import type { Runtime, Singleton, Target } from '../runtime/runtime.js';
import type { ServerEvent } from '../../../src-shared/api/realtime.js';
import type { DeviceEventsRepo } from '../store/device-events-repo.js';
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
/** Heartbeats per hour are shown for 7 days; a day more is kept so the oldest bucket is always whole. */
const HOURS_KEPT_MS = 8 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

export interface OfflineSweepOptions {
  runtime: Runtime;
  devices: DevicesRepo;
  /** Where the timeline's `offline` / `online` entries go. */
  events: DeviceEventsRepo;
  /** Where `device_offline` goes (the realtime hub: this instance's sockets and the fleet's). */
  publish(target: Target, event: ServerEvent, data: unknown): void;
  /** The server's configured interval: the default group's policy until an operator sets one. */
  heartbeatIntervalSec: number;
  now?: () => number;
  /** How often the leader sweeps; default half a heartbeat interval (1 s at least). */
  everyMs?: number;
}

export interface OfflineSweep {
  /** The runtime singleton that runs `sweep` on one instance of the fleet at a time. */
  readonly singleton: Singleton;
  /**
   * One pass: marks and announces every device silent beyond its group's threshold, records the comebacks of
   * devices raised before; returns how many went silent. Tests call it.
   */
  sweep(): Promise<number>;
}

/**
 * Seed 004 presence, pushed rather than only computed on read: a device silent beyond its group's threshold is
 * announced to admins and operators as `device_offline`, once for the fleet. One instance sweeps at a time (a
 * runtime singleton, taken over when its holder dies), and the store marks each silence in the same statement
 * that finds it, so even two sweeps overlapping during a takeover announce a device once.
 */
export function startOfflineSweep(opts: OfflineSweepOptions): OfflineSweep {
  const now = opts.now ?? Date.now;
  const defaultThresholdSec = MISSED_INTERVALS_OFFLINE * opts.heartbeatIntervalSec;
  let prunedAt = -Infinity;
  const sweep = async (): Promise<number> => {
    const t = now();
    const policy = { now: t, marginMs: FLUSH_MARGIN_MS, defaultThresholdSec };
    const timestamp = new Date(t).toISOString();
    // Comebacks first: a device raised before that beats again is `online` on its timeline (within a sweep).
    for (;;) {
      const back = await opts.devices.claimReturned(BATCH);
      await opts.events.append(
        back.map((d) => ({
          device_key: d.device_key,
          type: 'online' as const,
          at: timestamp,
          details: { last_seen: d.last_seen },
        })),
      );
      if (back.length < BATCH) break;
    }
    if (t - prunedAt > PRUNE_EVERY_MS) {
      prunedAt = t;
      await opts.devices.pruneHeartbeatHours(new Date(t - HOURS_KEPT_MS).toISOString());
    }
    let total = 0;
    for (;;) {
      const batch = await opts.devices.claimOffline(policy, BATCH);
      await opts.events.append(
        batch.map((d) => ({
          device_key: d.device_key,
          type: 'offline' as const,
          at: timestamp,
          details: { last_seen: d.last_seen },
        })),
      );
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
