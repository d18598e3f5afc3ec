import type { Migration } from './db.js';

/**
 * Version 9: `devices.offline_raised_for`, the last_seen whose silence the offline sweep already raised, so
 * `device_offline` goes out once per silence for all processes on the data dir (see DevicesRepo.claimOffline).
 */
export const offlineSweepMigration: Migration = {
  version: 9,
  name: 'devices: offline_raised_for for the offline sweep',
  up: `ALTER TABLE devices ADD COLUMN offline_raised_for TEXT;`,
};
