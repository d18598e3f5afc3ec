import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { AgentError, describeError } from '../errors.js';
import { migrateStation } from './migrate.js';
import { STATION_MIGRATIONS } from './schema.js';

export type StationDb = Database.Database;

export function stationDbPath(dataDir: string): string {
  return join(dataDir, 'station.db');
}

/**
 * `<dataDir>/station-id`: the device id, written after the first start. Its presence is what says "this station
 * has a history": from then on station.db holds unsynced copies and the identity the server knows, so a missing
 * or unusable file is an error to report, never a reason to start over with an empty queue and a new id.
 */
export function stationIdPath(dataDir: string): string {
  return join(dataDir, 'station-id');
}

function readStationId(dataDir: string): string | null {
  const file = stationIdPath(dataDir);
  if (!existsSync(file)) return null;
  let id: string;
  try {
    id = readFileSync(file, 'utf8').trim();
  } catch (err) {
    // Not knowing whether this station has a history is not a reason to assume it has none.
    throw new AgentError(
      'STATION_DB_UNUSABLE',
      `${file} (this station's device id) is unreadable (${describeError(err)}): restore it, or run \`agent station reset --confirm\` to start over.`,
    );
  }
  return id || null;
}

function writeStationId(dataDir: string, id: string): void {
  const file = stationIdPath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${id}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function lostDb(path: string, knownId: string, what: string): AgentError {
  return new AgentError(
    'STATION_DB_UNUSABLE',
    `station.db (${path}) is ${what}, but this station has run before as ${knownId}. Its unsynced copies and ` +
      'identity live in that file, so the station stops instead of starting over. Restore the file from a ' +
      'backup, or run `agent station reset --confirm` to set it aside and start an empty station with a new id.',
  );
}

/** Why an existing station's database cannot be used as it is, or null when it looks like a database. */
function fileProblem(path: string): string | null {
  if (!existsSync(path)) return 'missing';
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return 'not a regular file';
    size = st.size;
  } catch (err) {
    return `unreadable (${describeError(err)})`;
  }
  // SQLite treats an empty file as a new database; WAL frames next to it could still hold the data.
  const wal = `${path}-wal`;
  if (size === 0 && !(existsSync(wal) && statSync(wal).size > 0)) return 'empty (0 bytes)';
  return null;
}

/**
 * Opens `<dataDir>/station.db`: WAL so reads never wait on the writer, synchronous=FULL so a copy is on disk
 * (WAL fsynced) before recordCopy returns, a busy timeout so a second process (the CLI) waits instead of failing.
 * Once the station has a device id (station-id file), the database must exist and be a station database: it is
 * never created or migrated over a file that is missing, empty or foreign.
 */
export function openStationDb(dataDir: string): StationDb {
  mkdirSync(dataDir, { recursive: true });
  const path = stationDbPath(dataDir);
  const knownId = readStationId(dataDir);
  if (knownId) {
    const problem = fileProblem(path);
    if (problem) throw lostDb(path, knownId, problem);
  }
  let db: StationDb | undefined;
  try {
    db = new Database(path, { fileMustExist: knownId !== null });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    // A checkpoint runs inside whichever commit crosses the threshold, and costs that recordCopy two extra
    // fsyncs. The running service checkpoints in the background (see StationService); this high threshold is only
    // the safety net that keeps the WAL bounded (~40 MB) when nothing else does, so it rarely lands on a copy.
    db.pragma('wal_autocheckpoint = 10000');
    if (knownId) {
      const tables = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'schema_migrations')",
        )
        .all();
      if (tables.length < 2) throw lostDb(path, knownId, 'not a station database (no station tables)');
    }
    migrateStation(db, STATION_MIGRATIONS);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof AgentError) throw err;
    // Opening a WAL database creates its -wal and -shm files: on a full disk that is the failure, not the file.
    if (isStorageFull(err, dataDir)) {
      throw new AgentError(
        'STORAGE_FULL',
        `The disk is full: station.db (${path}) cannot be opened. Free disk space on this station, then start again.`,
      );
    }
    const code = (err as { code?: string }).code ?? '';
    if (knownId) throw lostDb(path, knownId, `unreadable (${code || describeError(err)})`);
    throw new AgentError(
      'STATION_DB_UNUSABLE',
      `station.db (${path}) cannot be opened: ${describeError(err)}`,
    );
  }
}

/**
 * Opens the station's database and returns it with the station's device id. The id is generated only on the
 * first start (no station-id file yet), kept in station.db and mirrored in station-id; a database carrying
 * another id than the one recorded is refused (a file copied from another station would merge two queues).
 */
export function openStation(dataDir: string): { db: StationDb; deviceId: string } {
  const knownId = readStationId(dataDir);
  const db = openStationDb(dataDir);
  try {
    const stored = getMeta(db, 'device_id');
    if (knownId) {
      if (stored !== knownId) {
        throw lostDb(
          stationDbPath(dataDir),
          knownId,
          stored ? `the database of another station (${stored})` : 'missing its device id',
        );
      }
      return { db, deviceId: knownId };
    }
    const deviceId = stationDeviceId(db);
    writeStationId(dataDir, deviceId);
    return { db, deviceId };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The explicit way to start over: sets station.db (and its WAL files) aside under a dated name, never deleting
 * them, and forgets the device id, so the next start creates an empty station with a new id.
 */
export function resetStation(
  dataDir: string,
  at = new Date(),
): { movedTo: string[]; previousId: string | null } {
  const previousId = readStationId(dataDir);
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  const movedTo: string[] = [];
  for (const suffix of ['', '-wal', '-shm']) {
    const from = `${stationDbPath(dataDir)}${suffix}`;
    if (!existsSync(from)) continue;
    const to = `${stationDbPath(dataDir)}.replaced-${stamp}${suffix}`;
    renameSync(from, to);
    movedTo.push(to);
  }
  rmSync(stationIdPath(dataDir), { force: true });
  return { movedTo, previousId };
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

/**
 * SQLite reports a full disk (or a reached max_page_count) as SQLITE_FULL; growing the WAL index of a database
 * being opened fails as SQLITE_IOERR_SHMSIZE, and other writes as some SQLITE_IOERR: for those, the free space
 * of the directory decides. Either way nothing was committed.
 */
export function isStorageFull(err: unknown, dir?: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'SQLITE_IOERR_SHMSIZE') return true;
  if (!code.startsWith('SQLITE_IOERR') || !dir) return false;
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

export const STORAGE_FULL_MESSAGE =
  'The disk is full: the copy was NOT recorded. Free disk space on this station, then try again.';

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
