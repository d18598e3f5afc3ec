import type { AlertType } from '../../../../src-shared/api/alerts.js';
import type { AlertRecord, AlertsRepo } from '../alerts-repo.js';
import { touchBefore } from '../sqlite/alerts.js';
import type { PgDb } from './db.js';
import { pgEnqueue } from './webhooks.js';

const COLS = 'id, type, target, state, first_seen, last_seen, resolved_at, data';
const RAISE = `
  INSERT INTO alerts (type, target, state, first_seen, last_seen, data)
  SELECT $1, a.target, 'open', $2, $2, a.data FROM unnest($3::text[], $4::text[]) AS a(target, data)
  ON CONFLICT (type, target) WHERE state = 'open' DO NOTHING
  RETURNING ${COLS}`;
// IN / NOT IN over a subquery: PostgreSQL hashes the active set, so a pass stays linear at 100,000 targets.
const TOUCH = `
  UPDATE alerts SET last_seen = $2
  WHERE state = 'open' AND type = $1 AND last_seen < $4 AND target IN (SELECT unnest($3::text[]))`;
const RESOLVE = `
  UPDATE alerts SET state = 'resolved', resolved_at = $2, last_seen = $2
  WHERE state = 'open' AND type = $1 AND target NOT IN (SELECT unnest($3::text[]))
  RETURNING ${COLS}`;

/** Tables created by migration 11 (migrations/011-alerts-webhooks.ts). */
export function pgAlerts(db: PgDb): AlertsRepo {
  return {
    async reconcile(type, active, now, events) {
      const targets = active.map((a) => a.target);
      return db.tx(async (q) => {
        const raised = active.length
          ? await q.query<AlertRecord>(RAISE, [type, now, targets, active.map((a) => a.data)])
          : [];
        if (active.length) await q.query(TOUCH, [type, now, targets, touchBefore(now)]);
        const resolved = await q.query<AlertRecord>(RESOLVE, [type, now, targets]);
        await pgEnqueue(q, events({ raised, resolved }), now);
        return { raised, resolved };
      });
    },
    async raise(type, c, now, events) {
      return db.tx(async (q) => {
        const raised = await q.query<AlertRecord>(RAISE, [type, now, [c.target], [c.data]]);
        if (raised.length === 0) await q.query(TOUCH, [type, now, [c.target], now]);
        await pgEnqueue(q, events({ raised, resolved: [] }), now);
        return raised[0];
      });
    },
    async resolveStale(type, before, now, events) {
      return db.tx(async (q) => {
        const resolved = await q.query<AlertRecord>(
          `UPDATE alerts SET state = 'resolved', resolved_at = $3
           WHERE state = 'open' AND type = $1 AND last_seen < $2 RETURNING ${COLS}`,
          [type, before, now],
        );
        await pgEnqueue(q, events({ raised: [], resolved }), now);
        return resolved;
      });
    },
    async list(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.state) where.push(`state = $${args.push(q.state)}`);
      if (q.type) where.push(`type = $${args.push(q.type)}`);
      const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const [alerts, total] = await Promise.all([
        db.query<AlertRecord>(
          `SELECT ${COLS} FROM alerts ${w} ORDER BY last_seen DESC, id DESC LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
          [...args, q.limit, q.offset],
        ),
        db.query<{ n: number }>(`SELECT count(*) AS n FROM alerts ${w}`, args),
      ]);
      return { alerts, total: total[0]!.n };
    },
    async open(type) {
      return db.query<AlertRecord>(
        `SELECT ${COLS} FROM alerts WHERE state = 'open' AND type = $1 ORDER BY id`,
        [type],
      );
    },
    async openCounts() {
      const out: Partial<Record<AlertType, number>> = {};
      const rows = await db.query<{ type: AlertType; n: number }>(
        "SELECT type, count(*) AS n FROM alerts WHERE state = 'open' GROUP BY type",
      );
      for (const r of rows) out[r.type] = r.n;
      return out;
    },
    async reconcileSilence(asOf, sec, now, events) {
      // A device's threshold is its group's, or the server's default ($3) for a group without one. Lookups are
      // correlated by primary key, so touch/back/gone cost the open alerts, not the fleet.
      const threshold = `coalesce((SELECT g.silence_threshold_sec FROM device_groups g WHERE g.id = d.group_id), $3::int)`;
      const limit = `$1::timestamptz - make_interval(secs => ${threshold})`;
      const silent = (
        cmp: '<' | '>=',
      ) => `EXISTS (SELECT 1 FROM devices d JOIN device_heartbeats h USING (device_key)
        WHERE d.device_key = alerts.target AND d.status = 'registered' AND h.last_seen ${cmp} ${limit})`;
      return db.tx(async (q) => {
        const raised = await q.query<AlertRecord>(
          `INSERT INTO alerts (type, target, state, first_seen, last_seen, data)
           SELECT 'device.offline', h.device_key, 'open', $2, $2,
                  json_build_object('device_key', h.device_key, 'last_seen', h.last_seen,
                                    'silence_threshold_sec', ${threshold})::text
           FROM device_heartbeats h JOIN devices d USING (device_key)
           WHERE d.status = 'registered' AND h.last_seen < ${limit}
           ON CONFLICT (type, target) WHERE state = 'open' DO NOTHING
           RETURNING ${COLS}`,
          [asOf, now, sec],
        );
        await q.query(
          `UPDATE alerts SET last_seen = $2 WHERE state = 'open' AND type = 'device.offline' AND last_seen < $4
             AND ${silent('<')}`,
          [asOf, now, sec, touchBefore(now)],
        );
        const back = await q.query<AlertRecord>(
          `UPDATE alerts SET state = 'resolved', resolved_at = $2, last_seen = $2
           WHERE state = 'open' AND type = 'device.offline' AND ${silent('>=')} RETURNING ${COLS}`,
          [asOf, now, sec],
        );
        const gone = await q.query<AlertRecord>(
          `UPDATE alerts SET state = 'resolved', resolved_at = $1, last_seen = $1
           WHERE state = 'open' AND type = 'device.offline'
             AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_key = alerts.target AND d.status = 'registered')
           RETURNING ${COLS}`,
          [now],
        );
        await pgEnqueue(q, events({ raised, back }), now);
        return { raised, back, gone };
      });
    },
    async clientsAtOrBelow(threshold) {
      return db.query<{ id: number; name: string; remaining: number }>(
        'SELECT id, name, remaining FROM clients WHERE remaining <= $1 ORDER BY id',
        [threshold],
      );
    },
    async licensesExpiring(from, until) {
      return db.query<{ id: string; expires_at: string }>(
        `SELECT id, expires_at FROM licenses
         WHERE status IN ('activated','active') AND expires_at >= $1 AND expires_at < $2 ORDER BY expires_at`,
        [from, until],
      );
    },
  };
}
