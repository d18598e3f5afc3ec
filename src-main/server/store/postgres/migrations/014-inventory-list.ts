import type { PgMigration } from '../db.js';

/**
 * The inventory list at 100,000 devices (see device-inventory.ts for the plans that use these):
 * - `devices_status (status, group_id, device_key)`: the revoked / never-registered pages and their totals, and
 *   the registered count the offline total is derived from, read the index (index-only once vacuumed) instead
 *   of the wide devices rows. Status and group change on registration, revocation and moves, never on a
 *   heartbeat, so the heartbeat write path is untouched (device_heartbeats gets no index: its updates stay HOT).
 * - `parallel_workers = 0` on devices: the list's whole-fleet joins took 110-220 ms with a parallel worker
 *   against ~30 ms serial on the shared 2-core machine the bench runs on; a worker's start-up and the Gather
 *   merge cost more than a 100,000-row scan they split. A planner setting only. device_heartbeats keeps its
 *   storage options as they are (fillfactor alone), which the heartbeat store test holds it to.
 */
export const inventoryListMigration: PgMigration = {
  version: 14,
  name: 'devices: status index for the inventory list, serial scans of devices',
  up: `
    CREATE INDEX devices_status ON devices (status, group_id, device_key);
    ALTER TABLE devices SET (parallel_workers = 0);
  `,
};
