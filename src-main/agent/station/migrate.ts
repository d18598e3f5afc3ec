import type Database from 'better-sqlite3';
import { AgentError } from '../errors.js';

export interface StationMigration {
  version: number;
  name: string;
  up: string;
}

/**
 * Applies the station's schema migrations in version order, each in its own transaction. The agent never imports
 * the server, so this is the station's own small copy of the idea; a database written by a newer build is refused
 * rather than misread.
 */
export function migrateStation(db: Database.Database, migrations: readonly StationMigration[]): number[] {
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
    // Not "unusable": the data is fine for the build that wrote it, and a reset would set it aside for nothing.
    throw new AgentError(
      'STATION_DB_UNUSABLE',
      `station.db has migrations this build does not know (${unknown.join(', ')}): it was written by a newer ` +
        'version of Outpost. Run that version again; do not reset the station.',
    );
  }
  const ran: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.up);
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
