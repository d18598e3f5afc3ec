import { join } from 'node:path';
import type { Store } from '../store.js';
import { sqliteApiKeys } from './api-keys.js';
import { sqliteAudit } from './audit.js';
import { sqliteClients } from './clients.js';
import { migrate, openDatabase } from './db.js';
import { sqliteStationBindings } from './identity.js';
import { sqliteDevices } from './devices.js';
import { sqliteDeviceEvents, sqliteGroups } from './groups.js';
import { sqliteDevicesBulk } from './devices-bulk.js';
import { sqliteLicenses } from './licenses.js';
import { migrations } from './migrations.js';
import { sqliteNotifications } from './notifications.js';
import { sqlitePlugins } from './plugins.js';
import { sqliteSync } from './sync.js';
import { sqliteSystems } from './systems.js';
import { sqliteUsers } from './users.js';

/** The default store: one SQLite file, `server.db`, in the data dir. */
export function createSqliteStore(dataDir: string | ':memory:'): Store {
  const db = openDatabase(dataDir === ':memory:' ? ':memory:' : join(dataDir, 'server.db'));
  migrate(db, migrations);
  let closed = false;
  const ping = db.prepare('SELECT 1');
  const devices = sqliteDevices(db);
  return {
    kind: 'sqlite',
    users: sqliteUsers(db),
    plugins: sqlitePlugins(db),
    licenses: sqliteLicenses(db),
    systems: sqliteSystems(db),
    devices,
    groups: sqliteGroups(db),
    deviceEvents: sqliteDeviceEvents(db),
    bulk: sqliteDevicesBulk(db),
    clients: sqliteClients(db),
    sync: sqliteSync(db),
    notifications: sqliteNotifications(db),
    bindings: sqliteStationBindings(db),
    apiKeys: sqliteApiKeys(db),
    audit: sqliteAudit(db),
    async ping() {
      const t0 = performance.now();
      try {
        ping.get();
        return { status: 'connected', response_time_ms: performance.now() - t0, kind: 'sqlite' };
      } catch {
        return { status: 'error', response_time_ms: performance.now() - t0, kind: 'sqlite' };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        devices.close(); // acknowledged heartbeats still in the write-behind buffer
      } finally {
        db.close();
      }
    },
  };
}
