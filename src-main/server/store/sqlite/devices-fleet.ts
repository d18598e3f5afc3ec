import type { DevicesFleetRepo, FleetCount } from '../devices-fleet-repo.js';
import type { Db } from './db.js';

/** Devices belong to no group yet here: every one counts in the default group. */
const DEFAULT_GROUP = 'default';

export function sqliteDevicesFleet(db: Db): DevicesFleetRepo {
  // ISO timestamps compare as text. Heartbeats still in this process's write-behind buffer (≤ 500 ms) are not
  // counted yet: a device that beats for the first time in a while shows online one flush later.
  const counts = db.prepare(
    `SELECT COALESCE(SUM(last_seen >= ?), 0) AS online, COUNT(*) AS registered
     FROM devices WHERE status = 'registered'`,
  );
  return {
    async counts(onlineSince) {
      const row = counts.get(onlineSince) as { online: number; registered: number };
      const out: FleetCount[] = [
        { group: DEFAULT_GROUP, online: row.online, offline: row.registered - row.online },
      ];
      return out;
    },
  };
}
