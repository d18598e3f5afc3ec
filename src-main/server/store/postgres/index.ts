import type { Store } from '../store.js';
import { pgApiKeys } from './api-keys.js';
import { pgAudit } from './audit.js';
import { pgClients } from './clients.js';
import { openPool, type PgDb, type PgMigration } from './db.js';
import { describeUrl } from './describe-url.js';
import { HEARTBEAT_FLUSH_MS, pgDevices } from './devices.js';
import { pgDeviceEvents, pgGroups } from './groups.js';
import { pgDevicesBulk } from './devices-bulk.js';
import { pgLicenses } from './licenses.js';
import { migrate, SchemaTooNewError } from './migrate.js';
import { migrations as allMigrations } from './migrations/index.js';
import { pgNotifications } from './notifications.js';
import { pgPlugins } from './plugins.js';
import { pgStationBindings } from './station-bindings.js';
import { pgSync } from './sync.js';
import { pgSystems } from './systems.js';
import { pgUsers } from './users.js';

export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db` (what --database-url / OUTPOST_DATABASE_URL give). */
  url: string;
  /** Connections in this instance's pool (default 10). */
  poolMax?: number;
  heartbeatFlushMs?: number;
  /** The schema this build applies (tests pass a shorter or longer list). */
  migrations?: readonly PgMigration[];
}

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** The pool, for the fleet runtime's tables (same database, same connections). */
  readonly db: PgDb;
}

/**
 * The fleet store: one PostgreSQL database shared by any number of server instances, each with its own pool.
 * Migrates under an advisory lock before answering anything; refuses a schema newer than it knows.
 */
export async function createPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const db = openPool({ url: opts.url, max: opts.poolMax });
  try {
    await migrate(db, opts.migrations ?? allMigrations);
  } catch (err) {
    await db.pool.end();
    if (err instanceof SchemaTooNewError) throw err;
    // One line for the operator, naming the server but never the URL's credentials.
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`PostgreSQL ${describeUrl(opts.url)}: ${msg}`);
  }
  const devices = pgDevices(db, opts.heartbeatFlushMs ?? HEARTBEAT_FLUSH_MS);
  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    db,
    users: pgUsers(db),
    plugins: pgPlugins(db),
    licenses: pgLicenses(db),
    systems: pgSystems(db),
    devices,
    groups: pgGroups(db),
    deviceEvents: pgDeviceEvents(db),
    bulk: pgDevicesBulk(db),
    clients: pgClients(db),
    sync: pgSync(db),
    notifications: pgNotifications(db),
    bindings: pgStationBindings(db),
    apiKeys: pgApiKeys(db),
    audit: pgAudit(db),
    async ping() {
      const t0 = performance.now();
      try {
        await db.query('SELECT 1');
        return { status: 'connected', response_time_ms: performance.now() - t0, kind: 'postgres' };
      } catch {
        return { status: 'error', response_time_ms: performance.now() - t0, kind: 'postgres' };
      }
    },
    close() {
      closing ??= (async () => {
        try {
          await devices.close(); // acknowledged heartbeats still in the write-behind buffer
        } finally {
          await db.pool.end();
        }
      })();
      return closing;
    },
  };
}
