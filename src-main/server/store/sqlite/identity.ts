import type { StationBinding, StationBindingsRepo } from '../station-bindings-repo.js';
import type { Db, Migration } from './db.js';

/**
 * Version 8, who may act as whom:
 * - `users.disabled`: a disabled user cannot log in and its issued tokens are refused.
 * - `station_bindings`: a sync device_id belongs to one user. Seeded from history: the user of each device's
 *   first stored op owns it, so an upgrade does not leave every existing station open to the first claimant.
 * - Op idempotency becomes per device: `u:<uuid>` keys were global (another device's op reusing a uuid was
 *   answered "duplicate" and never counted). Each stored row keeps its meaning under the device that pushed it;
 *   a uuid never contains a space, so no rewritten key can collide with another.
 */
export const identityMigration: Migration = {
  version: 8,
  name: 'identity: users.disabled, station bindings, per-device op keys',
  up: `
    ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
    CREATE TABLE station_bindings (
      device_id TEXT PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX station_bindings_user ON station_bindings (user_id);
    INSERT INTO station_bindings (device_id, user_id, created_at)
      SELECT s.device_id, s.user_id, s.created_at
      FROM sync_ops s JOIN (SELECT MIN(id) AS first FROM sync_ops GROUP BY device_id) f ON f.first = s.id
      WHERE s.user_id IN (SELECT id FROM users);
    UPDATE sync_ops SET op_key = 'u:' || device_id || ' ' || substr(op_key, 3)
      WHERE substr(op_key, 1, 2) = 'u:';
  `,
};

export function sqliteStationBindings(db: Db): StationBindingsRepo {
  const insert = db.prepare(
    `INSERT INTO station_bindings (device_id, user_id, created_at) VALUES (?, ?, ?)
     ON CONFLICT (device_id) DO NOTHING`,
  );
  const owner = db.prepare('SELECT user_id FROM station_bindings WHERE device_id = ?').pluck();
  const all = db.prepare(
    `SELECT b.device_id, b.user_id, u.username, b.created_at
     FROM station_bindings b JOIN users u ON u.id = b.user_id ORDER BY b.device_id`,
  );
  const remove = db.prepare('DELETE FROM station_bindings WHERE device_id = ?');
  const claim = db.transaction((deviceId: string, userId: number, now: string): number => {
    insert.run(deviceId, userId, now);
    return owner.get(deviceId) as number;
  });
  return {
    async claim(deviceId, userId, now) {
      return claim(deviceId, userId, now);
    },
    async ownerOf(deviceId) {
      return owner.get(deviceId) as number | undefined;
    },
    async list() {
      return all.all() as StationBinding[];
    },
    async release(deviceId) {
      return remove.run(deviceId).changes > 0;
    },
  };
}
