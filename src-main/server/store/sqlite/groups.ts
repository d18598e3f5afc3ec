import { AppError } from '../../errors.js';
import type { DeviceEventRecord, DeviceEventsRepo } from '../device-events-repo.js';
import { DEFAULT_GROUP_ID, type GroupRecord, type GroupsRepo } from '../groups-repo.js';
import { isUniqueViolation, type Db } from './db.js';

const SELECT = `SELECT g.*, (SELECT count(*) FROM devices d WHERE d.group_id = g.id) AS device_count
  FROM device_groups g`;

type Row = Omit<GroupRecord, 'is_default'> & { is_default: number };
const toRecord = (r: Row): GroupRecord => ({ ...r, is_default: r.is_default === 1 });

function conflictOrCheck(err: unknown, name: string | undefined): never {
  if (isUniqueViolation(err)) throw new AppError('CONFLICT', `A group named '${name}' already exists`);
  if (err instanceof Error && /CHECK constraint failed/.test(err.message)) {
    throw new AppError('VALIDATION_ERROR', 'silence_threshold_sec must be at least heartbeat_interval_sec', [
      { field: 'body.silence_threshold_sec', message: 'must be at least heartbeat_interval_sec' },
    ]);
  }
  throw err;
}

export function sqliteGroups(db: Db): GroupsRepo {
  const byId = db.prepare(`${SELECT} WHERE g.id = ?`);
  const all = db.prepare(`${SELECT} ORDER BY g.id`);
  const insert = db.prepare(
    `INSERT INTO device_groups (name, description, heartbeat_interval_sec, silence_threshold_sec, created_at)
     VALUES (@name, @description, @heartbeat_interval_sec, @silence_threshold_sec, @now) RETURNING id`,
  );
  // The moved devices' events, the move and the delete commit together.
  const removeTx = db.transaction((id: number, now: string) => {
    const g = db.prepare('SELECT is_default FROM device_groups WHERE id = ?').get(id) as
      { is_default: number } | undefined;
    if (!g) return undefined;
    if (g.is_default) return 'default' as const;
    db.prepare(
      `INSERT INTO device_events (device_key, at, type, details)
       SELECT device_key, ?, 'group_changed', json_object('from', group_id, 'to', ?) FROM devices WHERE group_id = ?`,
    ).run(now, DEFAULT_GROUP_ID, id);
    const moved = db
      .prepare('UPDATE devices SET group_id = ?, updated_at = ? WHERE group_id = ?')
      .run(DEFAULT_GROUP_ID, now, id).changes;
    db.prepare('DELETE FROM device_groups WHERE id = ?').run(id);
    return { moved };
  });

  return {
    async list() {
      return (all.all() as Row[]).map(toRecord);
    },
    async get(id) {
      const r = byId.get(id) as Row | undefined;
      return r && toRecord(r);
    },
    async create(g, now) {
      let id: number;
      try {
        id = (insert.get({ ...g, now }) as { id: number }).id;
      } catch (err) {
        conflictOrCheck(err, g.name);
      }
      return toRecord(byId.get(id) as Row);
    },
    async update(id, patch) {
      const cols = (
        ['name', 'description', 'heartbeat_interval_sec', 'silence_threshold_sec'] as const
      ).filter((c) => patch[c] !== undefined);
      if (cols.length > 0) {
        try {
          const changed = db
            .prepare(`UPDATE device_groups SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`)
            .run({ ...Object.fromEntries(cols.map((c) => [c, patch[c]])), id }).changes;
          if (changed === 0) return undefined;
        } catch (err) {
          conflictOrCheck(err, patch.name);
        }
      }
      const r = byId.get(id) as Row | undefined;
      return r && toRecord(r);
    },
    async remove(id, now) {
      return removeTx(id, now);
    },
  };
}

type EventRow = Omit<DeviceEventRecord, 'details'> & { details: string | null };

export function sqliteDeviceEvents(db: Db): DeviceEventsRepo {
  const insert = db.prepare('INSERT INTO device_events (device_key, at, type, details) VALUES (?, ?, ?, ?)');
  const appendTx = db.transaction((events: Parameters<DeviceEventsRepo['append']>[0]) => {
    for (const e of events)
      insert.run(e.device_key, e.at, e.type, e.details ? JSON.stringify(e.details) : null);
  });
  const page = db.prepare(
    'SELECT * FROM device_events WHERE device_key = ? ORDER BY id DESC LIMIT ? OFFSET ?',
  );
  const count = db.prepare('SELECT count(*) AS n FROM device_events WHERE device_key = ?');
  const latest = db.prepare(
    'SELECT at FROM device_events WHERE device_key = ? AND type = ? ORDER BY id DESC LIMIT 1',
  );
  return {
    async append(events) {
      if (events.length > 0) appendTx(events);
    },
    async page(key, offset, limit) {
      const rows = (page.all(key, limit, offset) as EventRow[]).map((r) => ({
        ...r,
        details: r.details ? (JSON.parse(r.details) as DeviceEventRecord['details']) : null,
      }));
      return { rows, total: (count.get(key) as { n: number }).n };
    },
    async latest(key, types) {
      const out: Partial<Record<(typeof types)[number], string>> = {};
      for (const t of types) {
        const r = latest.get(key, t) as { at: string } | undefined;
        if (r) out[t] = r.at;
      }
      return out;
    },
  };
}
