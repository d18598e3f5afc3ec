import type { StationMigration } from './migrate.js';

/**
 * station.db schema. `quotas.remaining` is the local view (server remaining − local pending ops, minus copies
 * recorded since); the CHECK makes "never below 0" a property of the file, not only of the code.
 * `sync_queue.seq` keeps insertion order for the push; `uuid` is the op's identity on the server (exactly once).
 */
export const STATION_MIGRATIONS: readonly StationMigration[] = [
  {
    version: 1,
    name: 'station core',
    up: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE quotas (
        client_id INTEGER PRIMARY KEY,
        remaining INTEGER NOT NULL CHECK (remaining >= 0),
        server_remaining INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE sync_queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL CHECK (type IN ('copy', 'write')),
        client_id INTEGER,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'synced', 'failed', 'dismissed')),
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        synced_at TEXT
      );
      CREATE INDEX sync_queue_status ON sync_queue (status, seq);
      CREATE INDEX sync_queue_pending_client ON sync_queue (client_id) WHERE status = 'pending';
      CREATE TABLE copies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid TEXT NOT NULL UNIQUE,
        client_id INTEGER NOT NULL,
        uid TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    // The pull has always sent each client's name and total; keeping them lets the UI show "Acme 40 / 100"
    // instead of "Client #1". NULL until the first pull after this migration (older rows keep working).
    version: 2,
    name: 'quota name and total',
    up: `
      ALTER TABLE quotas ADD COLUMN name TEXT;
      ALTER TABLE quotas ADD COLUMN total INTEGER;
    `,
  },
];
