import type { BatchRevokeResult, DevicesBulkRepo } from '../devices-bulk-repo.js';
import type { PgDb } from './db.js';

/**
 * Rows per statement: one array parameter per column. node-postgres serialises the arrays on the event loop, so
 * 10,000 rows go out in a few statements (same transaction) with the loop free in between.
 */
const CHUNK = 2500;

/** Thrown inside the transaction to roll it back when a key exists; never leaves this module. */
class Taken extends Error {
  constructor(readonly keys: string[]) {
    super('device keys taken');
  }
}

export function pgDevicesBulk(db: PgDb): DevicesBulkRepo {
  return {
    async highestSuffix(prefix) {
      // starts_with, not a key range: the database collation may not sort '-' and '.' bytewise.
      const rows = await db.query<{ n: string | null }>(
        `SELECT MAX(substr(device_key, $2)::bigint)::text AS n FROM devices
         WHERE starts_with(device_key, $1) AND substr(device_key, $2) ~ '^[0-9]{1,15}$'`,
        [prefix, prefix.length + 1],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async createBatch(b) {
      try {
        await db.tx(async (q) => {
          const taken: string[] = [];
          for (let i = 0; i < b.devices.length; i += CHUNK) {
            const chunk = b.devices.slice(i, i + CHUNK);
            const keys = chunk.map((d) => d.device_key);
            // Both rows of each device in one statement (as single create does); a key that exists is skipped
            // and reported, and the transaction is then rolled back as a whole.
            const created = await q.query<{ device_key: string }>(
              `WITH d AS (
                 INSERT INTO devices (device_key, status, token_hash, token_expires_at, created_at, updated_at)
                 SELECT k, 'pending', h, $3, $4, $4 FROM unnest($1::text[], $2::text[]) AS t(k, h)
                 ON CONFLICT (device_key) DO NOTHING RETURNING device_key),
               hb AS (INSERT INTO device_heartbeats (device_key) SELECT device_key FROM d)
               SELECT device_key FROM d`,
              [keys, chunk.map((d) => d.token_hash), b.token_expires_at, b.created_at],
            );
            if (created.length < chunk.length) {
              const made = new Set(created.map((r) => r.device_key));
              taken.push(...keys.filter((k) => !made.has(k)));
            }
          }
          if (taken.length > 0) throw new Taken(taken);
          await q.query(
            `INSERT INTO device_batches (batch_id, created_at, created_by, token_expires_at, group_id, device_count)
             VALUES ($1, $2, $3, $4, $5, $6)`,
            [b.batch_id, b.created_at, b.created_by, b.token_expires_at, b.group_id, b.devices.length],
          );
          for (let i = 0; i < b.devices.length; i += CHUNK) {
            const chunk = b.devices.slice(i, i + CHUNK);
            await q.query(
              `INSERT INTO device_batch_members (batch_id, device_key, token_hash)
               SELECT $1, k, h FROM unnest($2::text[], $3::text[]) AS t(k, h)`,
              [b.batch_id, chunk.map((d) => d.device_key), chunk.map((d) => d.token_hash)],
            );
          }
        });
        return { created: true };
      } catch (err) {
        if (err instanceof Taken) return { created: false, taken: err.keys };
        throw err;
      }
    },
    async revokeUnused(batchId, now) {
      // One conditional UPDATE: only a row whose live token is still the batch's one loses it; a registration
      // racing it either burned the token first (no match) or finds none left to burn.
      const rows = await db.query<{ device_count: number; revoked: number; registered: number }>(
        `WITH b AS (
           UPDATE device_batches SET revoked_at = COALESCE(revoked_at, $2) WHERE batch_id = $1
           RETURNING device_count),
         r AS (
           UPDATE devices d SET token_hash = NULL, token_expires_at = NULL, updated_at = $2
           FROM device_batch_members m
           WHERE m.batch_id = $1 AND d.device_key = m.device_key AND d.token_hash = m.token_hash
           RETURNING d.device_key)
         SELECT b.device_count,
           (SELECT count(*) FROM r)::int AS revoked,
           (SELECT count(*) FROM device_batch_members m JOIN devices d USING (device_key)
             WHERE m.batch_id = $1 AND d.status = 'registered')::int AS registered
         FROM b`,
        [batchId, now],
      );
      const row = rows[0];
      if (!row) return undefined;
      const out: BatchRevokeResult = {
        devices: row.device_count,
        revoked: row.revoked,
        registered: row.registered,
      };
      return out;
    },
  };
}
