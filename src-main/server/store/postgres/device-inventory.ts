import type {
  DeviceFilter,
  DeviceRecord,
  InventoryDevicesRepo,
  InventoryRow,
  OfflineDevice,
  PresencePolicy,
} from '../devices-repo.js';
import { containsPattern } from '../like-literal.js';
import type { Queryable } from './db.js';

const COLUMNS = `d.device_key, h.note, d.status, d.token_hash, d.token_expires_at, d.used_token_hash,
    d.secret_hash, d.ssh_pubkey, h.ip_address, h.ip_lan, h.ip_public, h.mac, h.cluster_ip, h.hostname,
    d.group_id, d.created_at, d.registered_at, d.revoked_at, h.last_seen, d.updated_at`;
/**
 * Each group's online cutoff, once per statement; a device is online while last_seen >= its group's cutoff.
 * `serial` is never read: naming a PARALLEL UNSAFE function anywhere in a statement makes PostgreSQL plan it
 * without workers. A top-N of the 100,000 heartbeat rows took 80-180 ms with a worker against ~20 ms serial on
 * the shared 2-core bench machine, and device_heartbeats keeps its storage options (no parallel_workers there).
 */
const CUT = (
  now: string,
  def: string,
) => `WITH serial AS (SELECT set_config('max_parallel_workers_per_gather', '0', true)),
  cut AS MATERIALIZED (
    SELECT id, name, ${now}::timestamptz - make_interval(secs => COALESCE(silence_threshold_sec, ${def})) AS cutoff
    FROM device_groups)`;
const FROM = `devices d JOIN device_heartbeats h USING (device_key) JOIN cut ON cut.id = d.group_id`;
const STATE = `CASE WHEN d.status = 'revoked' THEN 'revoked' WHEN d.status = 'pending' THEN 'never'
    WHEN h.last_seen >= cut.cutoff THEN 'online' ELSE 'offline' END`;
const STATE_SQL: Record<string, string> = {
  revoked: `d.status = 'revoked'`,
  never: `d.status = 'pending'`,
  // The second bound is implied by the first; it lets the heartbeat scan drop the silent rows before the join.
  online: `d.status = 'registered' AND h.last_seen >= cut.cutoff AND h.last_seen >= (SELECT min(cutoff) FROM cut)`,
  offline: `d.status = 'registered' AND (h.last_seen IS NULL OR h.last_seen < cut.cutoff)`,
};
const SEARCH_COLUMNS = [
  'd.device_key',
  'h.note',
  'h.ip_address',
  'h.ip_lan',
  'h.ip_public',
  'h.cluster_ip',
  'h.mac',
  'h.hostname',
];
/** NULL placement matches SQLite's (first ascending, last descending), so both stores page alike. */
const SORT_SQL = {
  last_seen: { asc: 'h.last_seen ASC NULLS FIRST', desc: 'h.last_seen DESC NULLS LAST' },
  device_key: { asc: 'd.device_key ASC', desc: 'd.device_key DESC' },
  created_at: { asc: 'd.created_at ASC', desc: 'd.created_at DESC' },
} as const;

/** Positional parameters for a statement built from parts. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function filterSql(
  f: DeviceFilter,
  p: PresencePolicy,
  ps: Params,
): { cut: string; where: string; group: string } {
  const cut = CUT(ps.add(new Date(p.now).toISOString()), ps.add(p.defaultThresholdSec));
  const parts: string[] = [];
  if (f.state) parts.push(STATE_SQL[f.state]!);
  const group = f.group !== undefined ? `d.group_id = ${ps.add(f.group)}` : '';
  if (group) parts.push(group);
  if (f.search) {
    // ILIKE folds case; the term's own % _ \ are escaped, so they match themselves.
    const like = ps.add(containsPattern(f.search));
    // One ILIKE per row over the columns joined by U+001F instead of eight (about 3× less time relative to a
    // full-scan page, at 100,000 rows); a term holding the separator could match across two columns, so it takes
    // the per-column form.
    parts.push(
      f.search.includes('\x1f')
        ? `(${SEARCH_COLUMNS.map((c) => `${c} ILIKE ${like} ESCAPE '\\'`).join(' OR ')})`
        : `concat_ws(chr(31), ${SEARCH_COLUMNS.join(', ')}) ILIKE ${like} ESCAPE '\\'`,
    );
  }
  return { cut, where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', group };
}

/**
 * The statement counting a filter's matches, over the narrowest source that answers it exactly: the devices
 * status index alone for revoked / never registered (and group), registered minus online for offline (one row
 * per device in each table, so the two partition the registered devices), the join otherwise.
 */
function countSql(f: DeviceFilter, c: ReturnType<typeof filterSql>, ps: Params): [string, unknown[]] {
  if (!c.where) return ['SELECT count(*) AS n FROM devices', []];
  const group = c.group ? ` AND ${c.group}` : '';
  if (!f.search && (f.state === 'revoked' || f.state === 'never'))
    return [`${c.cut} SELECT count(*) AS n FROM devices d WHERE ${STATE_SQL[f.state]}${group}`, ps.values];
  if (!f.search && f.state === 'offline')
    return [
      `${c.cut} SELECT (SELECT count(*) FROM devices d WHERE d.status = 'registered'${group})
         - (SELECT count(*) FROM ${FROM} WHERE ${STATE_SQL.online}${group}) AS n`,
      ps.values,
    ];
  return [`${c.cut} SELECT count(*) AS n FROM ${FROM} ${c.where}`, ps.values];
}

/** A sort order over the columns of a (device_key, last_seen) set named m. */
const onM = (order: string) => order.replace(/\b[dh]\./g, 'm.');

/** Rows of a page statement: its total rides on every row, and on a single all-NULL row when the page is empty. */
function pageOf(rows: (InventoryRow & { total: string | null })[]): { rows: InventoryRow[]; total: number } {
  const total = Number(rows[0]?.total ?? 0);
  return {
    rows: rows.filter((r) => r.device_key !== null).map(({ total: _, ...r }) => r as InventoryRow),
    total,
  };
}

/** The inventory reads and bulk writes over devices + device_heartbeats. `flush` writes buffered heartbeats first. */
export function pgDeviceInventory(db: Queryable, flush: () => Promise<void>): InventoryDevicesRepo {
  const groupExists = async (id: number) =>
    (await db.query('SELECT 1 FROM device_groups WHERE id = $1', [id])).length === 1;

  /** Moves the devices `selection` (SQL yielding device_key) picks, with their events, in one statement. */
  const moveWhere = async (group: number, selection: string, ps: Params, now: string, cut = '') => {
    const to = ps.add(group);
    const at = ps.add(now);
    // The self-join reads each row's group before the update (the statement's snapshot) for the event.
    const rows = await db.query<{ n: string }>(
      `${cut ? `${cut},` : 'WITH'} moved AS (
         UPDATE devices d SET group_id = ${to}, updated_at = ${at} FROM devices o
         WHERE o.device_key = d.device_key AND d.device_key IN (${selection}) AND d.group_id <> ${to}
         RETURNING d.device_key, o.group_id AS old_group),
       ev AS (
         INSERT INTO device_events (device_key, at, type, details)
         SELECT device_key, ${at}, 'group_changed', jsonb_build_object('from', old_group, 'to', ${to}::int)
         FROM moved)
       SELECT count(*) AS n FROM moved`,
      ps.values,
    );
    return Number(rows[0]!.n);
  };

  return {
    async listPage(q, p) {
      await flush();
      const ps = new Params();
      const { cut, where } = filterSql(q, p, ps);
      const order = `${SORT_SQL[q.sort][q.order]}, d.device_key ${q.order === 'asc' ? 'ASC' : 'DESC'}`;
      const page = `LIMIT ${ps.add(q.limit)} OFFSET ${ps.add(q.offset)}`;
      const rowsOf = (keys: string, total = 'NULL::bigint') =>
        `${cut}, ${keys}
         SELECT ${COLUMNS}, cut.name AS group_name, ${STATE} AS state, t.n AS total
         FROM (SELECT ${total} AS n) t LEFT JOIN (page JOIN devices d ON d.device_key = page.device_key
           JOIN device_heartbeats h ON h.device_key = d.device_key JOIN cut ON cut.id = d.group_id) ON true
         ORDER BY ${order}`;
      const indexCounted = !q.search && (q.state === 'revoked' || q.state === 'never');
      if (where && q.sort === 'last_seen' && !indexCounted) {
        // Sorting by last_seen reads every match anyway (it has no index): the matches are joined once, as
        // (key, last_seen) pairs, and both the page (a top-N of them) and the total come from that one set.
        const rows = await db.query<InventoryRow & { total: string }>(
          rowsOf(
            `m AS MATERIALIZED (SELECT d.device_key, h.last_seen FROM ${FROM} ${where}),
             page AS MATERIALIZED (SELECT device_key FROM m ORDER BY ${onM(order)} ${page})`,
            '(SELECT count(*) FROM m)',
          ),
          ps.values,
        );
        return pageOf(rows);
      }
      // The page's keys first, sorting only the sort columns, then its 50 rows. Unfiltered by last_seen, the keys
      // come from the narrow heartbeat table alone (one row per device, written with it): a top-N heapsort of
      // (last_seen, key) instead of a sort of the joined wide rows.
      const keys =
        !where && q.sort === 'last_seen'
          ? `SELECT m.device_key FROM device_heartbeats m ORDER BY ${onM(order)} ${page}`
          : `SELECT d.device_key FROM ${FROM} ${where} ORDER BY ${order} ${page}`;
      const countPs = new Params();
      const [rows, total] = await Promise.all([
        db.query<InventoryRow & { total: string }>(rowsOf(`page AS MATERIALIZED (${keys})`), ps.values),
        db.query<{ n: string }>(...countSql(q, filterSql(q, p, countPs), countPs)),
      ]);
      return { rows: pageOf(rows).rows, total: Number(total[0]!.n) };
    },
    async scan(f, p, afterKey, limit) {
      if (afterKey === '') await flush();
      const ps = new Params();
      const { cut, where } = filterSql(f, p, ps);
      const after = `d.device_key > ${ps.add(afterKey)}`;
      return db.query<InventoryRow>(
        `${cut} SELECT ${COLUMNS}, cut.name AS group_name, ${STATE} AS state FROM ${FROM}
         ${where ? `${where} AND ${after}` : `WHERE ${after}`} ORDER BY d.device_key LIMIT ${ps.add(limit)}`,
        ps.values,
      );
    },
    async edit(key, e, now) {
      if (e.group_id !== undefined && !(await groupExists(e.group_id))) return 'no-group';
      // One statement: the old values come from the self-join (the snapshot before the update), and an event is
      // written only for a field that really changed.
      const rows = await db.query<{ device_key: string }>(
        `WITH old AS (
           SELECT d.device_key, d.group_id, h.note FROM devices d JOIN device_heartbeats h USING (device_key)
           WHERE d.device_key = $1 FOR UPDATE OF d, h),
         g AS (
           UPDATE devices d SET group_id = COALESCE($2::int, d.group_id), updated_at = $4 FROM old
           WHERE d.device_key = old.device_key RETURNING d.device_key),
         n AS (
           UPDATE device_heartbeats h SET note = CASE WHEN $5 THEN $3 ELSE h.note END FROM old
           WHERE h.device_key = old.device_key RETURNING h.device_key),
         ev AS (
           INSERT INTO device_events (device_key, at, type, details)
           SELECT device_key, $4, 'group_changed', jsonb_build_object('from', group_id, 'to', $2::int)
             FROM old WHERE $2::int IS NOT NULL AND group_id <> $2::int
           UNION ALL
           SELECT device_key, $4, 'note_changed', jsonb_build_object('from', note, 'to', $3::text)
             FROM old WHERE $5 AND note IS DISTINCT FROM $3::text)
         SELECT device_key FROM old`,
        [key, e.group_id ?? null, e.note ?? null, now, e.note !== undefined],
      );
      if (rows.length === 0) return undefined;
      const row = await db.query<DeviceRecord>(
        `SELECT ${COLUMNS} FROM devices d JOIN device_heartbeats h USING (device_key) WHERE d.device_key = $1`,
        [key],
      );
      return row[0];
    },
    async move(group, sel, p, now) {
      if (!(await groupExists(group))) return 'no-group';
      const ps = new Params();
      if ('keys' in sel) {
        if (sel.keys.length === 0) return 0;
        return moveWhere(group, `SELECT unnest(${ps.add(sel.keys)}::text[])`, ps, now);
      }
      await flush();
      const { cut, where } = filterSql(sel.filter, p, ps);
      return moveWhere(group, `SELECT d.device_key FROM ${FROM} ${where}`, ps, now, cut);
    },
    async heartbeatHours(key, since) {
      await flush();
      const rows = await db.query<{ hour: string; beats: number }>(
        `SELECT hour, beats FROM device_heartbeat_hours WHERE device_key = $1 AND hour >= $2 ORDER BY hour`,
        [key, since],
      );
      return rows;
    },
    async pruneHeartbeatHours(before) {
      const rows = await db.query('DELETE FROM device_heartbeat_hours WHERE hour < $1 RETURNING 1', [before]);
      return rows.length;
    },
    async claimReturned(limit) {
      await flush();
      // Same locking as claimOffline: of several sweepers each comeback goes to one.
      return db.query<OfflineDevice>(
        `UPDATE device_heartbeats h SET offline_raised_for = NULL
         FROM (SELECT s.device_key FROM device_heartbeats s JOIN devices d USING (device_key)
               WHERE d.status = 'registered' AND s.offline_raised_for IS NOT NULL
                 AND s.last_seen > s.offline_raised_for
               ORDER BY s.device_key LIMIT $1 FOR UPDATE OF s SKIP LOCKED) c
         WHERE h.device_key = c.device_key AND h.offline_raised_for IS NOT NULL
           AND h.last_seen > h.offline_raised_for
         RETURNING h.device_key, h.last_seen`,
        [limit],
      );
    },
  };
}
