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
import { sqliteDeviceInventory } from './device-inventory.js';
import { hourOf } from '../hour-of.js';

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
  cluster_ip = COALESCE(@cluster_ip, cluster_ip), note = COALESCE(@note, note),
  hostname = COALESCE(@hostname, hostname)`;

function infoParams(info: DeviceInfoFields) {
  return {
    ip_address: info.ip_address ?? null,
    ip_lan: info.ip_lan ?? null,
    ip_public: info.ip_public ?? null,
    mac: info.mac ?? null,
    cluster_ip: info.cluster_ip ?? null,
    note: info.note ?? null,
    hostname: info.hostname ?? null,
  };
}

export interface SqliteDevicesRepo extends DevicesRepo {
  /** Stops the flush timer and writes what is buffered (store.close calls it before closing the db). */
  close(): void;
}

export function sqliteDevices(db: Db, flushMs = HEARTBEAT_FLUSH_MS): SqliteDevicesRepo {
  const byKey = db.prepare('SELECT * FROM devices WHERE device_key = ?');
  const auth = db.prepare(
    'SELECT secret_hash, status, group_id, ip_address, mac FROM devices WHERE device_key = ?',
  );
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
  // Each group's cutoff is computed once per statement; a device is silent before its own group's cutoff.
  const claimSql = (bound: string) =>
    `WITH cut AS MATERIALIZED (
       SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ',
         @now_sec - COALESCE(silence_threshold_sec, @def_sec), 'unixepoch') AS cutoff FROM device_groups)
     UPDATE devices SET offline_raised_for = last_seen
     WHERE device_key IN (
       SELECT d.device_key FROM devices d JOIN cut ON cut.id = d.group_id
       WHERE d.device_key > @after ${bound.replace('device_key', 'd.device_key')}
         AND d.status = 'registered' AND d.last_seen < cut.cutoff AND d.offline_raised_for IS NOT d.last_seen
       ORDER BY d.device_key LIMIT @limit)
     RETURNING device_key, last_seen`;
  const claimRangeStmt = db.prepare(claimSql('AND device_key <= @upto'));
  const claimTailStmt = db.prepare(claimSql(''));
  // Where the next claim resumes: a sweep that returned a full batch is called again and goes on from here.
  let sweepCursor = '';
  const sshStmt = db.prepare('UPDATE devices SET ssh_pubkey = ?, updated_at = ? WHERE device_key = ?');
  const beat = db.prepare(
    `UPDATE devices SET last_seen = ?, ip_address = COALESCE(?, ip_address), ip_lan = COALESCE(?, ip_lan),
       ip_public = COALESCE(?, ip_public), mac = COALESCE(?, mac), cluster_ip = COALESCE(?, cluster_ip),
       note = COALESCE(?, note), hostname = COALESCE(?, hostname) WHERE device_key = ?`,
  );
  // Heartbeats per hour ride in the same transaction as the heartbeats: one upsert per device per flush.
  const hourUp = db.prepare(
    `INSERT INTO device_heartbeat_hours (device_key, hour, beats) VALUES (?, ?, ?)
     ON CONFLICT (device_key, hour) DO UPDATE SET beats = beats + excluded.beats`,
  );
  // Positional parameters: measurably cheaper than named ones at 10k+ rows per flush.
  const writeSlice = db.transaction((entries: Entry[]) => {
    for (const [key, { last_seen, info: i, beats }] of entries) {
      beat.run(
        last_seen,
        i.ip_address ?? null,
        i.ip_lan ?? null,
        i.ip_public ?? null,
        i.mac ?? null,
        i.cluster_ip ?? null,
        i.note ?? null,
        i.hostname ?? null,
        key,
      );
      hourUp.run(key, hourOf(last_seen), beats ?? 1);
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
    ...sqliteDeviceInventory(db, () => behind.flushSync()),
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
      const row = auth.get(deviceKey) as DeviceAuthState | undefined;
      const hb = row && behind.size > 0 ? behind.peek(deviceKey) : undefined;
      if (!row || !hb) return row;
      return { ...row, ip_address: hb.info.ip_address ?? row.ip_address, mac: hb.info.mac ?? row.mac };
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
    async claimOffline(policy, limit) {
      behind.flushSync();
      const cut = { now_sec: (policy.now - policy.marginMs) / 1000, def_sec: policy.defaultThresholdSec };
      const claimed: OfflineDevice[] = [];
      for (;;) {
        const after = sweepCursor;
        const end = chunkEndStmt.get(after, SWEEP_CHUNK - 1) as { device_key: string } | undefined;
        const upto = end?.device_key ?? null;
        const want = limit - claimed.length;
        const rows = (
          upto === null
            ? claimTailStmt.all({ after, ...cut, limit: want })
            : claimRangeStmt.all({ after, upto, ...cut, limit: want })
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
