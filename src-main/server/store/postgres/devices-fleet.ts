import type { DevicesFleetRepo } from '../devices-fleet-repo.js';
import type { Queryable } from './db.js';

export function pgDevicesFleet(db: Queryable): DevicesFleetRepo {
  return {
    async counts(policy) {
      // Each group's cutoff once (MATERIALIZED), as the inventory computes `state`; the narrow heartbeat table
      // joined to the identity rows in one pass, no index on last_seen needed. Empty groups answer zeros.
      const rows = await db.query<{ name: string; online: number; registered: number }>(
        `WITH cut AS MATERIALIZED (
           SELECT id, name, $1::timestamptz - make_interval(secs => COALESCE(silence_threshold_sec, $2)) AS cutoff
           FROM device_groups)
         SELECT cut.name, count(h.last_seen) FILTER (WHERE h.last_seen >= cut.cutoff)::int AS online,
                count(d.device_key)::int AS registered
         FROM cut
         LEFT JOIN devices d ON d.group_id = cut.id AND d.status = 'registered'
         LEFT JOIN device_heartbeats h ON h.device_key = d.device_key
         GROUP BY cut.id, cut.name ORDER BY cut.id`,
        [new Date(policy.now).toISOString(), policy.defaultThresholdSec],
        'outpost_fleet_counts_by_group',
      );
      return rows.map((r) => ({ group: r.name, online: r.online, offline: r.registered - r.online }));
    },
  };
}
