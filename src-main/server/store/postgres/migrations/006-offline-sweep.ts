import type { PgMigration } from '../db.js';

/**
 * The fleet's offline sweep raises `device_offline` once per silence: `offline_raised_for` holds the last_seen
 * whose silence was raised. It sits in the narrow heartbeat table without an index, so heartbeats stay HOT
 * updates and write nothing more; a device that beats again has a new last_seen, hence is not marked.
 */
export const offlineSweepMigration: PgMigration = {
  version: 6,
  name: 'devices: offline_raised_for for the fleet-wide offline sweep',
  up: `ALTER TABLE device_heartbeats ADD COLUMN offline_raised_for timestamptz;`,
};
