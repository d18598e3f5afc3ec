import { accessMigration } from './access-migration.js';
import { alertsMigration } from './alerts-schema.js';
import type { Migration } from './db.js';
import { devicesMigration } from './devices.js';
import { devicesBulkMigration } from './devices-bulk.js';
import { identityMigration } from './identity.js';
import { inventoryListMigration } from './inventory-list-schema.js';
import { inventoryMigration } from './inventory-schema.js';
import { licensesMigration } from './licenses.js';
import { licensesTextLogMigration } from './licenses-mirror.js';
import { licensesSearchMigration } from './licenses-search.js';
import { offlineSweepMigration } from './offline-sweep.js';
import { pluginsMigration } from './plugins.js';
import { syncMigration } from './sync.js';

/**
 * The server schema, one migration per route family. Versions are fixed per family so that families can be
 * developed side by side: 1 core, 2 devices + plugins (seeds 000/004), 3 auth/clients/sync (seed 001),
 * 4 licenses (seed 002). Never edit a migration that has shipped; add a new one.
 */
export const core: Migration = {
  version: 1,
  name: 'core: users, settings',
  up: `
    CREATE TABLE users (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      username TEXT NOT NULL UNIQUE COLLATE NOCASE,
      name TEXT,
      email TEXT,
      role TEXT NOT NULL CHECK (role IN ('admin','operator','station')),
      password_hash TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE TABLE server_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
};

export const migrations: Migration[] = [
  core,
  devicesMigration,
  pluginsMigration,
  syncMigration,
  licensesMigration,
  licensesSearchMigration,
  licensesTextLogMigration,
  identityMigration,
  offlineSweepMigration,
  accessMigration,
  inventoryMigration,
  alertsMigration,
  devicesBulkMigration,
  inventoryListMigration,
];
