import type { PgDb, PgMigration } from './db.js';

/**
 * Key of the session-level advisory lock held while migrating (an arbitrary constant, "outpost" in ASCII): every
 * instance starting at once queues on it, the first applies what is pending, the others then find nothing to do.
 */
export const MIGRATION_LOCK_KEY = 0x6f7574706f7374;

/** Thrown when the database was migrated by a newer build; the CLI prints the message as its one line. */
export class SchemaTooNewError extends Error {
  constructor(dbVersion: number, known: number) {
    super(
      `database schema is at version ${dbVersion} but this build knows up to ${known}: ` +
        'it was upgraded by a newer Outpost; run that version (or newer) against this database',
    );
    this.name = 'SchemaTooNewError';
  }
}

/**
 * Applies pending migrations in version order, each in its own transaction recorded in schema_migrations, under
 * `pg_advisory_lock` on one dedicated connection (session lock, released in `finally` and by PostgreSQL if the
 * connection dies). Versions must be strictly increasing in the list. Returns the versions applied now.
 */
export async function migrate(db: PgDb, migrations: readonly PgMigration[]): Promise<number[]> {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) {
      throw new Error(`migrations out of order at version ${migrations[i]!.version}`);
    }
  }
  const client = await db.pool.connect();
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const applied = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      const known = new Set(migrations.map((m) => m.version));
      const newest = Math.max(0, ...migrations.map((m) => m.version));
      const unknown = [...applied].filter((v) => !known.has(v));
      if (unknown.length > 0) throw new SchemaTooNewError(Math.max(...unknown), newest);
      const ran: number[] = [];
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          if (typeof m.up === 'string') await client.query(m.up);
          else {
            await m.up({
              query: async (text, values) => (await client.query(text, values)).rows,
            });
          }
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            m.version,
            m.name,
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          throw err;
        }
        ran.push(m.version);
      }
      return ran;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {
        broken = true;
      });
    }
  } finally {
    client.release(broken);
  }
}
