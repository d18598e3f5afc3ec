import type { Migration } from '../../store/sqlite/db.js';

/**
 * `runtime.db`, next to the store's `server.db` in the data dir: what several server processes on one data dir
 * share besides the data. A file of its own, so the runtime's small, frequent writes (events, counters) never
 * queue behind the store's write-behind flushes, and the store's migrations stay the store's.
 * AUTOINCREMENT keeps ids growing even after pruning, and SQLite's single writer makes id order commit order,
 * so a reader's cursor (`id > last`) can never skip a row that commits late.
 */
export const runtimeMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'runtime tables',
    up: `
      CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        seen_at INTEGER NOT NULL
      );
      CREATE TABLE auth_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_key TEXT NOT NULL,
        origin TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE TABLE realtime_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        origin TEXT NOT NULL,
        target TEXT NOT NULL,
        event TEXT NOT NULL,
        data TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE TABLE limiter_counters (
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        count INTEGER NOT NULL,
        reset_at INTEGER NOT NULL,
        PRIMARY KEY (name, key)
      ) WITHOUT ROWID;
      CREATE INDEX limiter_counters_reset ON limiter_counters (reset_at);
      CREATE TABLE presence (
        room TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        sockets INTEGER NOT NULL,
        PRIMARY KEY (room, instance_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'singleton leases',
    up: `
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
];
