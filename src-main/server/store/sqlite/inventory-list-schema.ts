import type { Migration } from './db.js';

/**
 * The inventory list at 100,000 devices: `devices_status (status, group_id)` (the key rides along in a WITHOUT
 * ROWID table's index) serves the revoked / never-registered pages and the totals of the state filters from the
 * index instead of a scan of the wide devices rows. Status and group change on registration, revocation and
 * moves, never on a heartbeat, so the heartbeat flush maintains nothing new.
 */
export const inventoryListMigration: Migration = {
  version: 14,
  name: 'devices: status index for the inventory list',
  up: `CREATE INDEX devices_status ON devices (status, group_id);`,
};
