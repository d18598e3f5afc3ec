import { definedOnly } from '../../devices/heartbeat-buffer.js';
import { AppError } from '../../errors.js';
import type { DeviceAuthState, DeviceRecord, DevicesRepo, OfflineDevice } from '../devices-repo.js';
import { isUniqueViolation, type Queryable } from './db.js';
import { HeartbeatFlusher } from './heartbeat-flusher.js';
import { pgDeviceInventory } from './device-inventory.js';

/** How often buffered heartbeats are written at the latest (the contract is durable within 1 s). */
export const HEARTBEAT_FLUSH_MS = 500;

const SELECT = `SELECT d.device_key, h.note, d.status, d.token_hash, d.token_expires_at, d.used_token_hash,
    d.secret_hash, d.ssh_pubkey, h.ip_address, h.ip_lan, h.ip_public, h.mac, h.cluster_ip, h.hostname,
    d.group_id, d.created_at,
    d.registered_at, d.revoked_at, h.last_seen, d.updated_at
  FROM devices d JOIN device_heartbeats h USING (device_key)`;

export interface PgDevicesRepo extends DevicesRepo {
  /** Stops the flush timer and writes what is buffered (store.close calls it before ending the pool). */
  close(): Promise<void>;
  readonly flusher: HeartbeatFlusher;
}

export function pgDevices(db: Queryable, flushMs = HEARTBEAT_FLUSH_MS): PgDevicesRepo {
  const flusher = new HeartbeatFlusher(db, flushMs);
  const byKey = async (key: string) =>
    (await db.query<DeviceRecord>(`${SELECT} WHERE d.device_key = $1`, [key]))[0];

  /** Acknowledged-but-unwritten heartbeats, laid over a stored row. */
  const overlay = (row: DeviceRecord): DeviceRecord => {
    if (flusher.size === 0) return row;
    const hb = flusher.peek(row.device_key);
    if (!hb) return row;
    return { ...row, ...definedOnly(hb.info), last_seen: hb.last_seen } as DeviceRecord;
  };

  return {
    ...pgDeviceInventory(db, () => flusher.flush()),
    flusher,
    async create(d) {
      const now = new Date().toISOString();
      try {
        // Both rows in one statement: every device has its heartbeat row, so a flush only ever updates.
        await db.query(
          `WITH d AS (
             INSERT INTO devices (device_key, status, token_hash, token_expires_at, created_at, updated_at)
             VALUES ($1, 'pending', $2, $3, $4, $4) RETURNING device_key)
           INSERT INTO device_heartbeats (device_key, note) SELECT device_key, $5 FROM d`,
          [d.device_key, d.token_hash, d.token_expires_at, now, d.note],
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `Device '${d.device_key}' already exists`);
        throw err;
      }
      return (await byKey(d.device_key))!;
    },
    async get(deviceKey) {
      const row = await byKey(deviceKey);
      return row && overlay(row);
    },
    async list() {
      const rows = await db.query<DeviceRecord>(`${SELECT} ORDER BY d.created_at, d.device_key`);
      return rows.map(overlay);
    },
    async authState(deviceKey) {
      const rows = await db.query<DeviceAuthState>(
        `SELECT d.secret_hash, d.status, d.group_id, h.ip_address, h.mac
         FROM devices d JOIN device_heartbeats h USING (device_key) WHERE d.device_key = $1`,
        [deviceKey],
      );
      const row = rows[0];
      const hb = row && flusher.size > 0 ? flusher.peek(deviceKey) : undefined;
      if (!row || !hb) return row;
      return { ...row, ip_address: hb.info.ip_address ?? row.ip_address, mac: hb.info.mac ?? row.mac };
    },
    async issueToken(deviceKey, tokenHash, expiresAt) {
      const rows = await db.query(
        `UPDATE devices SET token_hash = $1, token_expires_at = $2, updated_at = $3 WHERE device_key = $4
         RETURNING 1`,
        [tokenHash, expiresAt, new Date().toISOString(), deviceKey],
      );
      return rows.length === 1;
    },
    async register(deviceKey, w) {
      // The burn is one conditional UPDATE. Under READ COMMITTED a concurrent attempt (any instance) blocks on
      // the row lock, then re-evaluates the WHERE on the winner's committed row, where token_hash is NULL: of N
      // attempts exactly one updates a row. The heartbeat row is written by the same statement, only if burned.
      const i = w.info;
      const rows = await db.query<{ n: number }>(
        `WITH burned AS (
           UPDATE devices SET status = 'registered', secret_hash = $3, used_token_hash = token_hash,
             token_hash = NULL, token_expires_at = NULL, registered_at = $4, revoked_at = NULL, updated_at = $4
           WHERE device_key = $1 AND token_hash = $2 AND token_expires_at > $4
           RETURNING device_key),
         hb AS (
           UPDATE device_heartbeats h SET last_seen = $4, ip_address = COALESCE($5, h.ip_address),
             ip_lan = COALESCE($6, h.ip_lan), ip_public = COALESCE($7, h.ip_public), mac = COALESCE($8, h.mac),
             cluster_ip = COALESCE($9, h.cluster_ip), note = COALESCE($10, h.note),
             hostname = COALESCE($11, h.hostname)
           FROM burned b WHERE h.device_key = b.device_key)
         SELECT count(*) AS n FROM burned`,
        [
          deviceKey,
          w.token_hash,
          w.secret_hash,
          w.now,
          i.ip_address ?? null,
          i.ip_lan ?? null,
          i.ip_public ?? null,
          i.mac ?? null,
          i.cluster_ip ?? null,
          i.note ?? null,
          i.hostname ?? null,
        ],
      );
      const changed = rows[0]!.n === 1;
      if (changed) flusher.discard(deviceKey);
      return changed;
    },
    async revoke(deviceKey, now) {
      const rows = await db.query(
        `UPDATE devices SET status = 'revoked', token_hash = NULL, token_expires_at = NULL,
           revoked_at = COALESCE(revoked_at, $2), updated_at = $2 WHERE device_key = $1 RETURNING 1`,
        [deviceKey, now],
      );
      return rows.length === 1;
    },
    async setSshKey(deviceKey, pubkey, now) {
      const rows = await db.query(
        'UPDATE devices SET ssh_pubkey = $1, updated_at = $2 WHERE device_key = $3 RETURNING 1',
        [pubkey, now, deviceKey],
      );
      return rows.length === 1;
    },
    recordHeartbeat(deviceKey, hb) {
      flusher.record(deviceKey, hb);
    },
    async flush() {
      await flusher.flush();
    },
    async claimOffline(policy, limit) {
      await flusher.flush();
      // READ COMMITTED is enough: a sweeper that waits on a row another one is marking re-checks the WHERE on
      // the committed row (raised now: skipped), and SKIP LOCKED lets it move on rather than queue. A flush that
      // moves last_seen forward meanwhile makes the row no longer silent, by the same re-check. No index on
      // last_seen (it would make every heartbeat a non-HOT update): a sweep scans the narrow heartbeat table.
      // Each device is judged by its own group's threshold (the cutoff is computed once per group).
      const rows = await db.query<OfflineDevice>(
        `WITH cut AS MATERIALIZED (
           SELECT id, $1::timestamptz - make_interval(secs => COALESCE(silence_threshold_sec, $3)) AS cutoff
           FROM device_groups)
         UPDATE device_heartbeats h SET offline_raised_for = h.last_seen
         FROM (SELECT s.device_key, cut.cutoff FROM device_heartbeats s JOIN devices d USING (device_key)
               JOIN cut ON cut.id = d.group_id
               WHERE d.status = 'registered' AND s.last_seen < cut.cutoff
                 AND s.offline_raised_for IS DISTINCT FROM s.last_seen
               ORDER BY s.device_key LIMIT $2 FOR UPDATE OF s SKIP LOCKED) c
         WHERE h.device_key = c.device_key AND h.last_seen < c.cutoff
           AND h.offline_raised_for IS DISTINCT FROM h.last_seen
         RETURNING h.device_key, h.last_seen`,
        [new Date(policy.now - policy.marginMs).toISOString(), limit, policy.defaultThresholdSec],
      );
      return rows.sort((x, y) => (x.device_key < y.device_key ? -1 : 1));
    },
    async close() {
      await flusher.close();
    },
  };
}
