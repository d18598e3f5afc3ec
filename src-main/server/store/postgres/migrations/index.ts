import type { PgMigration } from '../db.js';
import { coreMigration } from './001-core.js';
import { devicesMigration } from './002-devices.js';
import { pluginsMigration } from './003-plugins.js';
import { syncMigration } from './004-sync.js';
import { licensesMigration } from './005-licenses.js';
import { offlineSweepMigration } from './006-offline-sweep.js';
import { syncApplyMigration } from './007-sync-apply.js';
import { licenseSearchMigration } from './008-license-search.js';
import { accessMigration } from './009-access.js';
import { inventoryMigration } from './010-inventory.js';
import { alertsWebhooksMigration } from './011-alerts-webhooks.js';
import { deviceBatchesMigration } from './012-device-batches.js';
import { syncPushEventsMigration } from './013-sync-push-events.js';
import { inventoryListMigration } from './014-inventory-list.js';
import { runtimePgMigrations } from '../../../runtime/postgres/migrations.js';

/**
 * The PostgreSQL schema, in the order it is applied (versions strictly increasing). Versions 1-19 are the data
 * tables of the Store; 20 and up are the fleet runtime's tables (outbox, limiter counters, keys, leases).
 * Append new migrations at the end; never edit one that has shipped.
 */
export const migrations: PgMigration[] = [
  coreMigration,
  devicesMigration,
  pluginsMigration,
  syncMigration,
  licensesMigration,
  offlineSweepMigration,
  syncApplyMigration,
  licenseSearchMigration,
  accessMigration,
  inventoryMigration,
  alertsWebhooksMigration,
  deviceBatchesMigration,
  syncPushEventsMigration,
  inventoryListMigration,
  ...runtimePgMigrations,
];
