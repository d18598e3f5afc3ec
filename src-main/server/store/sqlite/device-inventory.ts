import type {
  DeviceFilter,
  DeviceRecord,
  InventoryDevicesRepo,
  InventoryRow,
  OfflineDevice,
  PresencePolicy,
} from '../devices-repo.js';
import { containsPattern } from '../like-literal.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

/**
 * Each group's online cutoff, computed once per statement (MATERIALIZED), not once per device row: a device is
 * online while last_seen >= its group's cutoff. ISO text compares like the times it holds.
 */
const CUT = `WITH cut AS MATERIALIZED (
    SELECT id, name, strftime('%Y-%m-%dT%H:%M:%fZ',
      @now_sec - COALESCE(silence_threshold_sec, @def_sec), 'unixepoch') AS cutoff
    FROM device_groups)`;
const STATE = `CASE WHEN d.status = 'revoked' THEN 'revoked' WHEN d.status = 'pending' THEN 'never'
    WHEN d.last_seen >= cut.cutoff THEN 'online' ELSE 'offline' END`;
const STATE_SQL: Record<string, string> = {
  revoked: `d.status = 'revoked'`,
  never: `d.status = 'pending'`,
  // `+` keeps SQLite off the status index for the 70 % registered (a key lookup per row costs more than the scan).
  // The second bound is implied by the third; compared first, it drops most silent rows before the group's cutoff.
  online: `+d.status = 'registered' AND d.last_seen >= (SELECT min(cutoff) FROM cut) AND d.last_seen >= cut.cutoff`,
  offline: `+d.status = 'registered' AND (d.last_seen IS NULL OR d.last_seen < cut.cutoff)`,
};
const SEARCH_COLUMNS = [
  'device_key',
  'note',
  'ip_address',
  'ip_lan',
  'ip_public',
  'cluster_ip',
  'mac',
  'hostname',
];
/** Sort columns; device_key breaks ties so pages never overlap. SQLite puts NULLs first ascending, last descending. */
const SORT_SQL = {
  last_seen: 'd.last_seen',
  device_key: 'd.device_key',
  created_at: 'd.created_at',
} as const;

type Params = Record<string, string | number>;

function where(f: DeviceFilter, p: PresencePolicy): { sql: string; params: Params } {
  const parts: string[] = [];
  const params: Params = { now_sec: p.now / 1000, def_sec: p.defaultThresholdSec };
  if (f.state) parts.push(STATE_SQL[f.state]!);
  if (f.group !== undefined) {
    parts.push('d.group_id = @group');
    params.group = f.group;
  }
  if (f.search) {
    // LIKE folds ASCII case; the term's own % _ \ are escaped, so they match themselves.
    parts.push(`(${SEARCH_COLUMNS.map((c) => `d.${c} LIKE @like ESCAPE '\\'`).join(' OR ')})`);
    params.like = containsPattern(f.search);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/**
 * The statement counting a filter's matches from the narrowest source that answers it exactly: the status index
 * for revoked / never registered (and group), registered minus online for offline (the two partition the
 * registered devices), the filtered scan otherwise.
 */
function countSql(f: DeviceFilter, whereSql: string, cond: string): string {
  if (!whereSql) return 'SELECT count(*) AS n FROM devices';
  const group = f.group !== undefined ? ' AND d.group_id = @group' : '';
  if (!f.search && (f.state === 'revoked' || f.state === 'never'))
    return `SELECT count(*) AS n FROM devices d WHERE ${STATE_SQL[f.state]}${group}`;
  if (!f.search && f.state === 'offline')
    return `${CUT} SELECT (SELECT count(*) FROM devices d WHERE d.status = 'registered'${group})
      - (SELECT count(*) FROM devices d CROSS JOIN cut WHERE ${STATE_SQL.online}${group} AND cut.id = d.group_id) AS n`;
  return `${CUT} SELECT count(*) AS n FROM devices d CROSS JOIN cut ${cond}`;
}

/** The inventory reads and bulk writes of the SQLite devices table. `flush` writes buffered heartbeats first. */
export function sqliteDeviceInventory(db: Db, flush: () => void): InventoryDevicesRepo {
  const cache = new Map<string, Statement>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      if (cache.size < 500) cache.set(sql, s);
    }
    return s;
  };
  const byKey = db.prepare('SELECT * FROM devices WHERE device_key = ?');
  const groupExists = db.prepare('SELECT 1 FROM device_groups WHERE id = ?');
  const insertEvent = db.prepare(
    'INSERT INTO device_events (device_key, at, type, details) VALUES (?, ?, ?, ?)',
  );

  const select = `${CUT} SELECT d.*, cut.name AS group_name, ${STATE} AS state
    FROM devices d JOIN cut ON cut.id = d.group_id`;

  const editTx = db.transaction(
    (key: string, note: string | null | undefined, group: number | undefined, now: string) => {
      const before = byKey.get(key) as DeviceRecord | undefined;
      if (!before) return undefined;
      if (group !== undefined && group !== before.group_id) {
        db.prepare('UPDATE devices SET group_id = ?, updated_at = ? WHERE device_key = ?').run(
          group,
          now,
          key,
        );
        insertEvent.run(key, now, 'group_changed', JSON.stringify({ from: before.group_id, to: group }));
      }
      if (note !== undefined && note !== before.note) {
        db.prepare('UPDATE devices SET note = ?, updated_at = ? WHERE device_key = ?').run(note, now, key);
        insertEvent.run(key, now, 'note_changed', JSON.stringify({ from: before.note, to: note }));
      }
      return byKey.get(key) as DeviceRecord;
    },
  );

  const moveTx = db.transaction((group: number, selection: string, params: Params, now: string) => {
    // Events first (they need the old group), then the move; one transaction, one writer.
    db.prepare(
      `INSERT INTO device_events (device_key, at, type, details)
       SELECT device_key, @at, 'group_changed', json_object('from', group_id, 'to', @to)
       FROM devices WHERE device_key IN (${selection}) AND group_id <> @to`,
    ).run({ ...params, at: now, to: group });
    return db
      .prepare(
        `UPDATE devices SET group_id = @to, updated_at = @at
         WHERE device_key IN (${selection}) AND group_id <> @to`,
      )
      .run({ ...params, at: now, to: group }).changes;
  });

  return {
    async listPage(q, p) {
      flush();
      const w = where(q, p);
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      // The page's keys first, sorted with only the sort columns in the sorter (a full-row sort of 100,000 rows
      // cost hundreds of ms), then its rows. CROSS JOIN keeps devices the outer loop, so a key-ordered page walks
      // the primary key (backwards for DESC) and stops after the page; unfiltered, the groups are not joined.
      const order = `${SORT_SQL[q.sort]} ${dir}, d.device_key ${dir}`;
      const cond = w.sql ? `${w.sql} AND cut.id = d.group_id` : 'WHERE cut.id = d.group_id';
      const keys = w.sql
        ? `SELECT d.device_key FROM devices d CROSS JOIN cut ${cond}`
        : 'SELECT d.device_key FROM devices d';
      const rows = stmt(
        `${CUT}, page AS MATERIALIZED (${keys} ORDER BY ${order} LIMIT @limit OFFSET @offset)
         SELECT d.*, cut.name AS group_name, ${STATE} AS state
         FROM page CROSS JOIN devices d CROSS JOIN cut
         WHERE d.device_key = page.device_key AND cut.id = d.group_id ORDER BY ${order}`,
      ).all({ ...w.params, limit: q.limit, offset: q.offset }) as InventoryRow[];
      return { rows, total: (stmt(countSql(q, w.sql, cond)).get(w.params) as { n: number }).n };
    },
    async scan(f, p, afterKey, limit) {
      if (afterKey === '') flush();
      const w = where(f, p);
      const cond = w.sql ? `${w.sql} AND d.device_key > @after` : 'WHERE d.device_key > @after';
      return stmt(`${select} ${cond} ORDER BY d.device_key LIMIT @limit`).all({
        ...w.params,
        after: afterKey,
        limit,
      }) as InventoryRow[];
    },
    async edit(key, e, now) {
      if (e.group_id !== undefined && !groupExists.get(e.group_id)) return 'no-group';
      return editTx(key, e.note, e.group_id, now);
    },
    async move(group, sel, p, now) {
      if (!groupExists.get(group)) return 'no-group';
      if ('keys' in sel) {
        if (sel.keys.length === 0) return 0;
        return moveTx(group, 'SELECT value FROM json_each(@keys)', { keys: JSON.stringify(sel.keys) }, now);
      }
      flush();
      const w = where(sel.filter, p);
      return moveTx(
        group,
        `${CUT} SELECT d.device_key FROM devices d JOIN cut ON cut.id = d.group_id ${w.sql}`,
        w.params,
        now,
      );
    },
    async heartbeatHours(key, since) {
      flush();
      return stmt(
        'SELECT hour, beats FROM device_heartbeat_hours WHERE device_key = ? AND hour >= ? ORDER BY hour',
      ).all(key, since) as { hour: string; beats: number }[];
    },
    async pruneHeartbeatHours(before) {
      return stmt('DELETE FROM device_heartbeat_hours WHERE hour < ?').run(before).changes;
    },
    async claimReturned(limit) {
      flush();
      return stmt(
        `UPDATE devices SET offline_raised_for = NULL
         WHERE device_key IN (SELECT device_key FROM devices
           WHERE status = 'registered' AND offline_raised_for IS NOT NULL AND last_seen > offline_raised_for
           ORDER BY device_key LIMIT ?)
         RETURNING device_key, last_seen`,
      ).all(limit) as OfflineDevice[];
    },
  };
}
