/**
 * The fleet runtime's tables in the Store's PostgreSQL database. Versions 20 and up: the Store's own schema
 * uses 1-19, and these are appended to its ordered list, so they run under the same advisory lock, once.
 * Shaped like the Store's migrations (`{ version, name, up }`, SQL text).
 */
export interface RuntimePgMigration {
  version: number;
  name: string;
  up: string;
}

export const runtimePgMigrations: readonly RuntimePgMigration[] = [
  {
    version: 20,
    name: 'runtime: instances, event outbox, limiter counters, presence, fleet keys',
    up: `
      CREATE TABLE runtime_instances (
        id text PRIMARY KEY,
        pid integer NOT NULL,
        host text NOT NULL,
        started_at bigint NOT NULL,
        seen_at bigint NOT NULL
      );
      -- Realtime events and credential changes, read by every instance past its own cursor. No foreign keys,
      -- one index for pruning: inserts stay cheap on the write path.
      CREATE TABLE runtime_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        origin text NOT NULL,
        kind text NOT NULL,
        payload jsonb NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX runtime_events_at ON runtime_events USING brin (at);
      CREATE TABLE runtime_limiter_counters (
        name text NOT NULL,
        key text NOT NULL,
        count integer NOT NULL,
        reset_at bigint NOT NULL,
        PRIMARY KEY (name, key)
      );
      CREATE INDEX runtime_limiter_counters_reset ON runtime_limiter_counters (reset_at);
      CREATE TABLE runtime_presence (
        room text NOT NULL,
        instance_id text NOT NULL,
        sockets integer NOT NULL,
        PRIMARY KEY (room, instance_id)
      );
      -- One row per fleet secret, created once: INSERT ... ON CONFLICT DO NOTHING, then read what won.
      CREATE TABLE runtime_keys (
        name text PRIMARY KEY,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 21,
    name: 'runtime: outbox payload as json, lz4-compressed where the server has lz4',
    // The payload is only ever written once and read back whole (never queried inside), so jsonb's binary
    // decomposition is pure cost on the write path: a sync push's copy_completed lists all its copies (~44 kB for
    // 500), measured at 5-6 ms of backend CPU per batch as jsonb, 1.0-1.1 ms as json with lz4, 1.8-2.0 ms as json
    // with the default pglz. `COMPRESSION lz4` exists only on a server built with lz4 (PostgreSQL 14 and up,
    // configured --with-lz4; Debian's is): on any other the statement is an error, so it is asked first. A
    // server's default_toast_compression setting lists 'lz4' among its allowed values exactly when it was built
    // with it; pg_settings is readable by every role (unlike pg_config, superuser only by default), and on a
    // server older than 14 the setting is absent, which also means no per-column compression at all. Without lz4
    // the column keeps the server's default (pglz), still cheaper than jsonb. Both changes in one ALTER TABLE, so
    // the rows already there are rewritten once, as json, under the new compression.
    up: `
      DO $$
      BEGIN
        IF EXISTS (
          SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
        ) THEN
          EXECUTE 'ALTER TABLE runtime_events
                     ALTER COLUMN payload TYPE json USING payload::json,
                     ALTER COLUMN payload SET COMPRESSION lz4';
        ELSE
          EXECUTE 'ALTER TABLE runtime_events ALTER COLUMN payload TYPE json USING payload::json';
        END IF;
      END
      $$;
    `,
  },
  {
    version: 23,
    name: 'runtime: limiter counters unlogged, with room for HOT updates',
    // Every guess on a guarded route updates one row here before it is evaluated, so the write is on the route's
    // path: unlogged, the update writes no WAL and its commit does not wait for a flush to disk. A crash empties
    // the table and a standby does not have it; both only forgive the guesses of the current window. Counting
    // changes only `count` (no index on it), so with room left on the page the update stays HOT.
    up: `
      ALTER TABLE runtime_limiter_counters SET (fillfactor = 70);
      ALTER TABLE runtime_limiter_counters SET UNLOGGED;
    `,
  },
];
