import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrateStation } from './migrate.js';
import { STATION_MIGRATIONS } from './schema.js';

export type StationDb = Database.Database;

/**
 * Opens `<dataDir>/station.db`: WAL so reads never wait on the writer, synchronous=FULL so a copy is on disk
 * (WAL fsynced) before recordCopy returns, a busy timeout so a second process (the CLI) waits instead of failing.
 */
export function openStationDb(dataDir: string): StationDb {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'station.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // A checkpoint runs inside whichever commit crosses the threshold, and costs that recordCopy two extra fsyncs.
  // The running service checkpoints in the background (see StationService); this high threshold is only the
  // safety net that keeps the WAL bounded (~40 MB) when nothing else does, so it rarely lands on a copy.
  db.pragma('wal_autocheckpoint = 10000');
  migrateStation(db, STATION_MIGRATIONS);
  return db;
}

/** The station's device id: generated once, kept in station.db, so ops from this station never collide. */
export function stationDeviceId(db: StationDb): string {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'device_id'").get() as
    { value: string } | undefined;
  if (row) return row.value;
  const id = `station-${randomUUID()}`;
  // INSERT OR IGNORE + re-read: two processes opening a fresh file agree on one id.
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('device_id', ?)").run(id);
  return (db.prepare("SELECT value FROM meta WHERE key = 'device_id'").get() as { value: string }).value;
}

export function getMeta(db: StationDb, key: string): string | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setMeta(db: StationDb, key: string, value: string | null): void {
  if (value === null) db.prepare('DELETE FROM meta WHERE key = ?').run(key);
  else
    db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    ).run(key, value);
}

/** Moves committed WAL pages into the main file without waiting for readers; called off the recordCopy path. */
export function checkpoint(db: StationDb): void {
  if (db.open) db.pragma('wal_checkpoint(PASSIVE)');
}
