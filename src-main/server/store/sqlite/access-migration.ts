import type { Migration } from './db.js';

/**
 * Version 10, people, keys and the audit trail:
 * - `users.role` gains `viewer`. SQLite cannot alter a CHECK, so the table is rebuilt. Dropping `users` with
 *   foreign keys on would cascade-delete every station binding (and PRAGMA foreign_keys cannot change inside
 *   the migration's transaction), so the bindings are set aside first and put back after.
 * - `api_keys`: named admin keys, as SHA-256 digests, found by a unique digest index.
 * - `audit_events`: the trail, listed newest first by id, filtered by action or actor.
 */
export const accessMigration: Migration = {
  version: 10,
  name: 'access: viewer role, named API keys, audit trail',
  up: `
    CREATE TABLE users_v10 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      username TEXT NOT NULL UNIQUE COLLATE NOCASE,
      name TEXT,
      email TEXT,
      role TEXT NOT NULL CHECK (role IN ('admin','operator','station','viewer')),
      password_hash TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
    );
    INSERT INTO users_v10 (id, username, name, email, role, password_hash, created_at, updated_at, disabled)
      SELECT id, username, name, email, role, password_hash, created_at, updated_at, disabled FROM users;
    CREATE TEMP TABLE station_bindings_v10 AS SELECT device_id, user_id, created_at FROM station_bindings;
    DROP TABLE station_bindings;
    DROP TABLE users;
    ALTER TABLE users_v10 RENAME TO users;
    CREATE TABLE station_bindings (
      device_id TEXT PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX station_bindings_user ON station_bindings (user_id);
    INSERT INTO station_bindings (device_id, user_id, created_at)
      SELECT device_id, user_id, created_at FROM temp.station_bindings_v10;
    DROP TABLE temp.station_bindings_v10;

    CREATE TABLE api_keys (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL UNIQUE COLLATE NOCASE,
      role TEXT NOT NULL CHECK (role IN ('admin','operator','viewer')),
      key_digest TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL,
      created_by TEXT NOT NULL,
      last_used_at TEXT
    );

    CREATE TABLE audit_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      actor_kind TEXT NOT NULL,
      ip TEXT,
      action TEXT NOT NULL,
      target TEXT,
      details TEXT NOT NULL
    );
    CREATE INDEX audit_events_action ON audit_events (action, id);
    CREATE INDEX audit_events_actor ON audit_events (actor, id);
    CREATE INDEX audit_events_at ON audit_events (at);
  `,
};
