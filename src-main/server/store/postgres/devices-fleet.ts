import type { DevicesFleetRepo, FleetCount } from '../devices-fleet-repo.js';
import type { Queryable } from './db.js';

/** Devices belong to no group yet here: every one counts in the default group. */
const DEFAULT_GROUP = 'default';

export function pgDevicesFleet(db: Queryable): DevicesFleetRepo {
  return {
    async counts(onlineSince) {
      // The narrow heartbeat table joined to the identity rows: one pass, no index on last_seen needed.
      const rows = await db.query<{ online: number; registered: number }>(
        `SELECT count(*) FILTER (WHERE h.last_seen >= $1)::int AS online, count(*)::int AS registered
         FROM devices d JOIN device_heartbeats h USING (device_key) WHERE d.status = 'registered'`,
        [onlineSince],
        'outpost_fleet_counts',
      );
      const row = rows[0] ?? { online: 0, registered: 0 };
      const out: FleetCount[] = [
        { group: DEFAULT_GROUP, online: row.online, offline: row.registered - row.online },
      ];
      return out;
    },
  };
}
