import type { BatchRevokeResult, DevicesBulkRepo, NewBatch } from '../devices-bulk-repo.js';
import type { Db, Migration } from './db.js';

/**
 * Version 13: bulk-enrollment batches. A member row keeps the hash of the token the batch issued, so revoking
 * "the batch's unused tokens" touches exactly those still live, not a token issued to the device later.
 */
export const devicesBulkMigration: Migration = {
  version: 13,
  name: 'devices: bulk enrollment batches',
  up: `
    CREATE TABLE device_batches (
      batch_id TEXT PRIMARY KEY,
      created_at TEXT NOT NULL,
      created_by TEXT NOT NULL,
      token_expires_at TEXT NOT NULL,
      group_id INTEGER,
      device_count INTEGER NOT NULL,
      revoked_at TEXT
    ) WITHOUT ROWID;
    CREATE TABLE device_batch_members (
      batch_id TEXT NOT NULL REFERENCES device_batches (batch_id),
      device_key TEXT NOT NULL,
      token_hash TEXT NOT NULL,
      PRIMARY KEY (batch_id, device_key)
    ) WITHOUT ROWID;
  `,
};

/** Thrown inside the transaction to roll it back when a key exists; never leaves this module. */
class Taken extends Error {
  constructor(readonly keys: string[]) {
    super('device keys taken');
  }
}

/** Keys sort in byte order here (BINARY collation), and '~' is above every character a device key may hold. */
const KEY_UPPER_BOUND = '~';

export function sqliteDevicesBulk(db: Db): DevicesBulkRepo {
  const highest = db.prepare(
    `SELECT MAX(CAST(substr(device_key, @from) AS INTEGER)) AS n FROM devices
     WHERE device_key > @prefix AND device_key < @upper
       AND length(device_key) BETWEEN @from AND @from + 14
       AND substr(device_key, @from) NOT GLOB '*[^0-9]*'`,
  );
  // ON CONFLICT DO NOTHING, then the change count: a taken key is reported, and the whole batch rolled back.
  const insertDevice = db.prepare(
    `INSERT INTO devices (device_key, note, status, token_hash, token_expires_at, created_at, updated_at)
     VALUES (?, NULL, 'pending', ?, ?, ?, ?) ON CONFLICT (device_key) DO NOTHING`,
  );
  const insertBatch = db.prepare(
    `INSERT INTO device_batches (batch_id, created_at, created_by, token_expires_at, group_id, device_count)
     VALUES (@batch_id, @created_at, @created_by, @token_expires_at, @group_id, @device_count)`,
  );
  const insertMember = db.prepare(
    'INSERT INTO device_batch_members (batch_id, device_key, token_hash) VALUES (?, ?, ?)',
  );
  const create = db.transaction((b: NewBatch) => {
    const taken: string[] = [];
    for (const d of b.devices) {
      const r = insertDevice.run(d.device_key, d.token_hash, b.token_expires_at, b.created_at, b.created_at);
      if (r.changes === 0) taken.push(d.device_key);
    }
    if (taken.length > 0) throw new Taken(taken);
    insertBatch.run({
      batch_id: b.batch_id,
      created_at: b.created_at,
      created_by: b.created_by,
      token_expires_at: b.token_expires_at,
      group_id: b.group_id,
      device_count: b.devices.length,
    });
    for (const d of b.devices) insertMember.run(b.batch_id, d.device_key, d.token_hash);
  });

  const batchExists = db.prepare('SELECT device_count FROM device_batches WHERE batch_id = ?');
  // One conditional statement: only a row whose live token is still the batch's one loses it. Registration burns
  // the token (token_hash becomes NULL), so a registered device never matches.
  const revokeStmt = db.prepare(
    `UPDATE devices SET token_hash = NULL, token_expires_at = NULL, updated_at = @now
     WHERE device_key IN (SELECT device_key FROM device_batch_members WHERE batch_id = @batch_id)
       AND token_hash = (SELECT m.token_hash FROM device_batch_members m
                         WHERE m.batch_id = @batch_id AND m.device_key = devices.device_key)`,
  );
  const markBatch = db.prepare(
    'UPDATE device_batches SET revoked_at = COALESCE(revoked_at, ?) WHERE batch_id = ?',
  );
  const registeredCount = db.prepare(
    `SELECT count(*) AS n FROM device_batch_members m JOIN devices d ON d.device_key = m.device_key
     WHERE m.batch_id = ? AND d.status = 'registered'`,
  );
  const revoke = db.transaction((batchId: string, now: string): BatchRevokeResult | undefined => {
    const batch = batchExists.get(batchId) as { device_count: number } | undefined;
    if (!batch) return undefined;
    const revoked = revokeStmt.run({ batch_id: batchId, now }).changes;
    markBatch.run(now, batchId);
    const registered = (registeredCount.get(batchId) as { n: number }).n;
    return { devices: batch.device_count, revoked, registered };
  });

  return {
    async highestSuffix(prefix) {
      const row = highest.get({ prefix, upper: prefix + KEY_UPPER_BOUND, from: prefix.length + 1 }) as {
        n: number | null;
      };
      return row.n ?? 0;
    },
    async createBatch(b) {
      try {
        create(b);
        return { created: true };
      } catch (err) {
        if (err instanceof Taken) return { created: false, taken: err.keys };
        throw err;
      }
    },
    async revokeUnused(batchId, now) {
      return revoke(batchId, now);
    },
  };
}
