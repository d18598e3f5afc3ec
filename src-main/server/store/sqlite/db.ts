import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  up: string | ((db: Db) => void);
}

/**
 * Opens a SQLite file the way the server needs it: WAL so readers never wait on the writer, a busy timeout so a
 * second process (a CLI admin command) waits instead of failing, foreign keys on.
 */
export function openDatabase(file: string, opts: { synchronous?: 'NORMAL' | 'FULL' } = {}): Db {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true });
    // Create the file owner-only before SQLite does (it would use 0644); SQLite gives -wal/-shm the same mode.
    closeSync(openSync(file, 'a', 0o600));
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Applies pending migrations in version order, each in its own transaction, recording it in schema_migrations.
 * A database from a newer build (a version we do not know) is refused rather than silently misread.
 */
export function migrate(db: Db, migrations: readonly Migration[]): number[] {
  // Several processes may open one file at the same moment (`--workers`): the write lock is taken before the
  // applied versions are read, so a second process waits and then finds them applied, rather than running
  // them again. Each migration's own transaction below nests as a savepoint.
  db.exec('BEGIN IMMEDIATE');
  try {
    const ran = migrateLocked(db, migrations);
    db.exec('COMMIT');
    return ran;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

function migrateLocked(db: Db, migrations: readonly Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...applied].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new Error(
      `database has migrations this build does not know (${unknown.join(', ')}): newer version?`,
    );
  }
  const ran: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
    ran.push(m.version);
  }
  return ran;
}

/** True when a better-sqlite3 error is a UNIQUE/PRIMARY KEY violation. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
