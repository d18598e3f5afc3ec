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
];
