import { AppError } from '../../errors.js';
import type { DeviceEventRecord, DeviceEventsRepo } from '../device-events-repo.js';
import { DEFAULT_GROUP_ID, type GroupRecord, type GroupsRepo } from '../groups-repo.js';
import { isUniqueViolation, type Queryable } from './db.js';

const SELECT = `SELECT g.id, g.name, g.description, g.heartbeat_interval_sec, g.silence_threshold_sec, g.is_default,
    g.created_at, (SELECT count(*) FROM devices d WHERE d.group_id = g.id)::int AS device_count
  FROM device_groups g`;

function conflictOrCheck(err: unknown, name: string | undefined): never {
  if (isUniqueViolation(err)) throw new AppError('CONFLICT', `A group named '${name}' already exists`);
  if ((err as { code?: string } | null)?.code === '23514') {
    throw new AppError('VALIDATION_ERROR', 'silence_threshold_sec must be at least heartbeat_interval_sec', [
      { field: 'body.silence_threshold_sec', message: 'must be at least heartbeat_interval_sec' },
    ]);
  }
  throw err;
}

export function pgGroups(db: Queryable): GroupsRepo {
  const byId = async (id: number) => (await db.query<GroupRecord>(`${SELECT} WHERE g.id = $1`, [id]))[0];
  return {
    async list() {
      return db.query<GroupRecord>(`${SELECT} ORDER BY g.id`);
    },
    get: byId,
    async create(g, now) {
      let id: number;
      try {
        const rows = await db.query<{ id: number }>(
          `INSERT INTO device_groups (name, description, heartbeat_interval_sec, silence_threshold_sec, created_at)
           VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [g.name, g.description, g.heartbeat_interval_sec, g.silence_threshold_sec, now],
        );
        id = rows[0]!.id;
      } catch (err) {
        conflictOrCheck(err, g.name);
      }
      return (await byId(id))!;
    },
    async update(id, patch) {
      const cols = (
        ['name', 'description', 'heartbeat_interval_sec', 'silence_threshold_sec'] as const
      ).filter((c) => patch[c] !== undefined);
      if (cols.length > 0) {
        try {
          const rows = await db.query(
            `UPDATE device_groups SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1
             RETURNING 1`,
            [id, ...cols.map((c) => patch[c])],
          );
          if (rows.length === 0) return undefined;
        } catch (err) {
          conflictOrCheck(err, patch.name);
        }
      }
      return byId(id);
    },
    async remove(id, now) {
      // One statement: the group goes, its devices move to the default group with their events. The delete's
      // lock on the group row orders it against a concurrent move into the group (whose FK check waits on it).
      const rows = await db.query<{ found: boolean; is_default: boolean; moved: string }>(
        `WITH g AS (SELECT id, is_default FROM device_groups WHERE id = $1 FOR UPDATE),
         moved AS (
           UPDATE devices d SET group_id = $2, updated_at = $3 FROM g
           WHERE d.group_id = g.id AND NOT g.is_default RETURNING d.device_key),
         ev AS (
           INSERT INTO device_events (device_key, at, type, details)
           SELECT device_key, $3, 'group_changed', jsonb_build_object('from', $1::int, 'to', $2::int) FROM moved),
         del AS (DELETE FROM device_groups x USING g WHERE x.id = g.id AND NOT g.is_default)
         SELECT (SELECT count(*) FROM g) > 0 AS found, COALESCE((SELECT is_default FROM g), false) AS is_default,
           (SELECT count(*) FROM moved) AS moved`,
        [id, DEFAULT_GROUP_ID, now],
      );
      const r = rows[0]!;
      if (!r.found) return undefined;
      if (r.is_default) return 'default';
      return { moved: Number(r.moved) };
    },
  };
}

export function pgDeviceEvents(db: Queryable): DeviceEventsRepo {
  return {
    async append(events) {
      if (events.length === 0) return;
      await db.query(
        `INSERT INTO device_events (device_key, at, type, details)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::jsonb[])`,
        [
          events.map((e) => e.device_key),
          events.map((e) => e.at),
          events.map((e) => e.type),
          events.map((e) => (e.details ? JSON.stringify(e.details) : null)),
        ],
      );
    },
    async page(key, offset, limit) {
      const [rows, total] = await Promise.all([
        db.query<DeviceEventRecord>(
          `SELECT id::int AS id, device_key, type, at, details FROM device_events WHERE device_key = $1
           ORDER BY id DESC LIMIT $2 OFFSET $3`,
          [key, limit, offset],
        ),
        db.query<{ n: string }>('SELECT count(*) AS n FROM device_events WHERE device_key = $1', [key]),
      ]);
      return { rows, total: Number(total[0]!.n) };
    },
    async latest(key, types) {
      const rows = await db.query<{ type: (typeof types)[number]; at: string }>(
        `SELECT DISTINCT ON (type) type, at FROM device_events WHERE device_key = $1 AND type = ANY($2::text[])
         ORDER BY type, id DESC`,
        [key, types],
      );
      return Object.fromEntries(rows.map((r) => [r.type, r.at]));
    },
  };
}
