import type { StationBinding, StationBindingsRepo } from '../station-bindings-repo.js';
import type { Queryable } from './db.js';

export function pgStationBindings(db: Queryable): StationBindingsRepo {
  const ownerOf = async (deviceId: string) =>
    (
      await db.query<{ user_id: number }>('SELECT user_id FROM station_bindings WHERE device_id = $1', [
        deviceId,
      ])
    )[0]?.user_id;
  return {
    async claim(deviceId, userId, now) {
      // Two users racing for an unbound id on two instances: the primary key lets one insert win (the other's
      // ON CONFLICT waits for it, then does nothing). The owner is read by a second statement, whose snapshot
      // (READ COMMITTED) includes the winner's row; one statement's snapshot would predate it.
      await db.query(
        `INSERT INTO station_bindings (device_id, user_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (device_id) DO NOTHING`,
        [deviceId, userId, now],
      );
      return (await ownerOf(deviceId))!;
    },
    ownerOf,
    async list() {
      return db.query<StationBinding>(
        `SELECT b.device_id, b.user_id, u.username, b.created_at
         FROM station_bindings b JOIN users u ON u.id = b.user_id ORDER BY b.device_id`,
      );
    },
    async release(deviceId) {
      return (
        (await db.query('DELETE FROM station_bindings WHERE device_id = $1 RETURNING 1', [deviceId])).length >
        0
      );
    },
  };
}
