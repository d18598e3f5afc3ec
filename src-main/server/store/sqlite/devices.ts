import { definedOnly } from '../../devices/heartbeat-buffer.js';
import { WriteBehind, type Entry } from '../../devices/write-behind.js';
import { AppError } from '../../errors.js';
import type {
  DeviceAuthState,
  DeviceInfoFields,
  DeviceRecord,
  DevicesRepo,
  OfflineDevice,
} from '../devices-repo.js';
import { isUniqueViolation, type Db, type Migration } from './db.js';

/** Rows the offline sweep reads per statement before it lets the event loop run (about 10 ms at 1 M rows). */
export const SWEEP_CHUNK = 5000;

export const devicesMigration: Migration = {
  version: 2,
  name: 'devices (seed 004)',
  up: `
    CREATE TABLE devices (
      device_key TEXT PRIMARY KEY,
      note TEXT,
      status TEXT NOT NULL CHECK (status IN ('pending','registered','revoked')),
      token_hash TEXT,
      token_expires_at TEXT,
      used_token_hash TEXT,
      secret_hash TEXT,
      ssh_pubkey TEXT,
      ip_address TEXT,
      ip_lan TEXT,
      ip_public TEXT,
      mac TEXT,
      cluster_ip TEXT,
      created_at TEXT NOT NULL,
      registered_at TEXT,
      revoked_at TEXT,
      last_seen TEXT,
      updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
  `,
};

/** How often buffered heartbeats are written at the latest (the contract is durable within 1 s). */
export const HEARTBEAT_FLUSH_MS = 500;

const INFO_SET = `
  ip_address = COALESCE(@ip_address, ip_address), ip_lan = COALESCE(@ip_lan, ip_lan),
  ip_public = COALESCE(@ip_public, ip_public), mac = COALESCE(@mac, mac),
  cluster_ip = COALESCE(@cluster_ip, cluster_ip), note = COALESCE(@note, note)`;

function infoParams(info: DeviceInfoFields) {
  return {
    ip_address: info.ip_address ?? null,
    ip_lan: info.ip_lan ?? null,
    ip_public: info.ip_public ?? null,
    mac: info.mac ?? null,
    cluster_ip: info.cluster_ip ?? null,
    note: info.note ?? null,
  };
}

export interface SqliteDevicesRepo extends DevicesRepo {
  /** Stops the flush timer and writes what is buffered (store.close calls it before closing the db). */
  close(): void;
}

export function sqliteDevices(db: Db, flushMs = HEARTBEAT_FLUSH_MS): SqliteDevicesRepo {
  const byKey = db.prepare('SELECT * FROM devices WHERE device_key = ?');
  const auth = db.prepare('SELECT secret_hash, status FROM devices WHERE device_key = ?');
  const all = db.prepare('SELECT * FROM devices ORDER BY created_at, device_key');
  const insert = db.prepare(
    `INSERT INTO devices (device_key, note, status, token_hash, token_expires_at, created_at, updated_at)
     VALUES (@device_key, @note, 'pending', @token_hash, @token_expires_at, @now, @now)`,
  );
  const setToken = db.prepare(
    `UPDATE devices SET token_hash = ?, token_expires_at = ?, updated_at = ? WHERE device_key = ?`,
  );
  // One statement decides the race: only the attempt that still sees the live, unexpired token changes the row.
  // (In an UPDATE, right-hand sides read the old row, so used_token_hash gets the token being burned.)
  const burn = db.prepare(
    `UPDATE devices SET status = 'registered', secret_hash = @secret_hash, used_token_hash = token_hash,
       token_hash = NULL, token_expires_at = NULL, registered_at = @now, revoked_at = NULL, last_seen = @now,
       updated_at = @now, ${INFO_SET}
     WHERE device_key = @device_key AND token_hash = @token_hash AND token_expires_at > @now`,
  );
  const revokeStmt = db.prepare(
    `UPDATE devices SET status = 'revoked', token_hash = NULL, token_expires_at = NULL,
       revoked_at = COALESCE(revoked_at, @now), updated_at = @now WHERE device_key = @device_key`,
  );
  // The sweep reads the table in key ranges of SWEEP_CHUNK rows (the primary key's own order, no index on
  // last_seen, which every heartbeat would have to maintain), yielding to the event loop between ranges: at a
  // million devices one full scan in one statement blocked the server for over a second.
  // `IS NOT`: NULL-safe, so a device never raised (NULL) counts as not raised for its last_seen.
  const chunkEndStmt = db.prepare(
    'SELECT device_key FROM devices WHERE device_key > ? ORDER BY device_key LIMIT 1 OFFSET ?',
  );
  // Two statements, not `(@upto IS NULL OR device_key <= @upto)`: with the OR the upper bound is only a filter, and
  // the index walk of every range would run on to the end of the table.
  const claimSql = (bound: string) =>
    `UPDATE devices SET offline_raised_for = last_seen
     WHERE device_key IN (
       SELECT device_key FROM devices
       WHERE device_key > @after ${bound}
         AND status = 'registered' AND last_seen < @cutoff AND offline_raised_for IS NOT last_seen
       ORDER BY device_key LIMIT @limit)
     RETURNING device_key, last_seen`;
  const claimRangeStmt = db.prepare(claimSql('AND device_key <= @upto'));
  const claimTailStmt = db.prepare(claimSql(''));
  // Where the next claim resumes: a sweep that returned a full batch is called again and goes on from here.
  let sweepCursor = '';
  const sshStmt = db.prepare('UPDATE devices SET ssh_pubkey = ?, updated_at = ? WHERE device_key = ?');
  const beat = db.prepare(
    `UPDATE devices SET last_seen = ?, ip_address = COALESCE(?, ip_address), ip_lan = COALESCE(?, ip_lan),
       ip_public = COALESCE(?, ip_public), mac = COALESCE(?, mac), cluster_ip = COALESCE(?, cluster_ip),
       note = COALESCE(?, note) WHERE device_key = ?`,
  );
  // Positional parameters: measurably cheaper than named ones at 10k+ rows per flush.
  const writeSlice = db.transaction((entries: Entry[]) => {
    for (const [key, { last_seen, info: i }] of entries) {
      beat.run(
        last_seen,
        i.ip_address ?? null,
        i.ip_lan ?? null,
        i.ip_public ?? null,
        i.mac ?? null,
        i.cluster_ip ?? null,
        i.note ?? null,
        key,
      );
    }
  });
  const behind = new WriteBehind({ writeSlice, flushMs });

  /** Acknowledged-but-unwritten heartbeats, laid over a row read from disk. */
  const overlay = (row: DeviceRecord | undefined): DeviceRecord | undefined => {
    if (!row || behind.size === 0) return row;
    const hb = behind.peek(row.device_key);
    if (!hb) return row;
    return { ...row, ...definedOnly(hb.info), last_seen: hb.last_seen } as DeviceRecord;
  };

  return {
    async create(d) {
      const now = new Date().toISOString();
      try {
        insert.run({ ...d, now });
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `Device '${d.device_key}' already exists`);
        throw err;
      }
      return byKey.get(d.device_key) as DeviceRecord;
    },
    async get(deviceKey) {
      return overlay(byKey.get(deviceKey) as DeviceRecord | undefined);
    },
    async list() {
      return (all.all() as DeviceRecord[]).map((r) => overlay(r) as DeviceRecord);
    },
    async authState(deviceKey) {
      return auth.get(deviceKey) as DeviceAuthState | undefined;
    },
    async issueToken(deviceKey, tokenHash, expiresAt) {
      return setToken.run(tokenHash, expiresAt, new Date().toISOString(), deviceKey).changes === 1;
    },
    async register(deviceKey, w) {
      const changed =
        burn.run({
          device_key: deviceKey,
          token_hash: w.token_hash,
          secret_hash: w.secret_hash,
          now: w.now,
          ...infoParams(w.info),
        }).changes === 1;
      if (changed) behind.discard(deviceKey);
      return changed;
    },
    async revoke(deviceKey, now) {
      return revokeStmt.run({ device_key: deviceKey, now }).changes === 1;
    },
    async setSshKey(deviceKey, pubkey, now) {
      return sshStmt.run(pubkey, now, deviceKey).changes === 1;
    },
    recordHeartbeat(deviceKey, hb) {
      behind.record(deviceKey, hb);
    },
    async flush() {
      behind.flushSync();
    },
    heartbeatBacklog() {
      return { queued: behind.size, failed_writes: behind.failures };
    },
    async claimOffline(cutoff, limit) {
      behind.flushSync();
      const claimed: OfflineDevice[] = [];
      for (;;) {
        const after = sweepCursor;
        const end = chunkEndStmt.get(after, SWEEP_CHUNK - 1) as { device_key: string } | undefined;
        const upto = end?.device_key ?? null;
        const want = limit - claimed.length;
        const rows = (
          upto === null
            ? claimTailStmt.all({ after, cutoff, limit: want })
            : claimRangeStmt.all({ after, upto, cutoff, limit: want })
        ) as OfflineDevice[];
        rows.sort((x, y) => (x.device_key < y.device_key ? -1 : 1));
        claimed.push(...rows);
        if (claimed.length >= limit) {
          // The range may hold more silent devices past the last one claimed: resume right after it.
          sweepCursor = rows[rows.length - 1]!.device_key;
          return claimed;
        }
        if (upto === null) {
          sweepCursor = '';
          return claimed;
        }
        sweepCursor = upto;
        await new Promise<void>((r) => setImmediate(r));
      }
    },
    close() {
      behind.close();
    },
  };
}
