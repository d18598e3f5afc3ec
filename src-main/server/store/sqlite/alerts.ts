import type { AlertType } from '../../../../src-shared/api/alerts.js';
import type { ActiveCondition, AlertRecord, AlertsRepo, EventsOf } from '../alerts-repo.js';
import type { Db } from './db.js';
import { sqliteEnqueue } from './webhooks.js';

/**
 * An open alert's last_seen is refreshed at most this often: a mass outage keeps 100,000 alerts open, and
 * rewriting all of them on every pass would cost more than the pass itself.
 */
export const TOUCH_EVERY_MS = 60_000;
export const touchBefore = (now: string) => new Date(Date.parse(now) - TOUCH_EVERY_MS).toISOString();

/** Tables created by migration 12 (alerts-schema.ts). */
export function sqliteAlerts(db: Db): AlertsRepo {
  const enqueue = sqliteEnqueue(db);
  const raise = db.prepare(`
    INSERT INTO alerts (type, target, state, first_seen, last_seen, data)
    SELECT @type, json_extract(value, '$.target'), 'open', @now, @now, json_extract(value, '$.data')
    FROM json_each(@active) WHERE true
    ON CONFLICT (type, target) WHERE state = 'open' DO NOTHING
    RETURNING *`);
  const touch = db.prepare(`
    UPDATE alerts SET last_seen = @now
    WHERE state = 'open' AND type = @type AND last_seen < @touchBefore
      AND target IN (SELECT json_extract(value, '$.target') FROM json_each(@active))`);
  const resolve = db.prepare(`
    UPDATE alerts SET state = 'resolved', resolved_at = @now, last_seen = @now
    WHERE state = 'open' AND type = @type
      AND target NOT IN (SELECT json_extract(value, '$.target') FROM json_each(@active))
    RETURNING *`);
  const stale = db.prepare(`
    UPDATE alerts SET state = 'resolved', resolved_at = @now
    WHERE state = 'open' AND type = @type AND last_seen < @before RETURNING *`);
  const staleTx = db.transaction((type: AlertType, before: string, now: string, events: EventsOf) => {
    const resolved = stale.all({ type, before, now }) as AlertRecord[];
    enqueue(events({ raised: [], resolved }), now);
    return resolved;
  });
  const openOf = db.prepare("SELECT * FROM alerts WHERE state = 'open' AND type = ? ORDER BY id");
  const counts = db.prepare("SELECT type, count(*) AS n FROM alerts WHERE state = 'open' GROUP BY type");
  // The silence rule. A device's threshold is its group's, or the server's default (@sec) for a group without one;
  // lookups are correlated by primary key, so touch/back/gone cost the open alerts, not the fleet.
  const threshold = `coalesce((SELECT g.silence_threshold_sec FROM device_groups g WHERE g.id = d.group_id), @sec)`;
  const limit = `strftime('%Y-%m-%dT%H:%M:%fZ', @asOf, '-' || ${threshold} || ' seconds')`;
  const silentRaise = db.prepare(`
    INSERT INTO alerts (type, target, state, first_seen, last_seen, data)
    SELECT 'device.offline', d.device_key, 'open', @now, @now,
           json_object('device_key', d.device_key, 'last_seen', d.last_seen, 'silence_threshold_sec', ${threshold})
    FROM devices d WHERE d.status = 'registered' AND d.last_seen < ${limit}
    ON CONFLICT (type, target) WHERE state = 'open' DO NOTHING
    RETURNING *`);
  const silentTouch = db.prepare(`
    UPDATE alerts SET last_seen = @now
    WHERE state = 'open' AND type = 'device.offline' AND last_seen < @touchBefore
      AND EXISTS (SELECT 1 FROM devices d WHERE d.device_key = alerts.target AND d.status = 'registered'
                  AND d.last_seen < ${limit})`);
  const silentBack = db.prepare(`
    UPDATE alerts SET state = 'resolved', resolved_at = @now, last_seen = @now
    WHERE state = 'open' AND type = 'device.offline'
      AND EXISTS (SELECT 1 FROM devices d WHERE d.device_key = alerts.target AND d.status = 'registered'
                  AND d.last_seen >= ${limit})
    RETURNING *`);
  const silentGone = db.prepare(`
    UPDATE alerts SET state = 'resolved', resolved_at = @now, last_seen = @now
    WHERE state = 'open' AND type = 'device.offline'
      AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_key = alerts.target AND d.status = 'registered')
    RETURNING *`);
  const silenceTx = db.transaction(
    (
      p: { asOf: string; sec: number; now: string; touchBefore: string },
      events: Parameters<AlertsRepo['reconcileSilence']>[3],
    ) => {
      const raised = silentRaise.all(p) as AlertRecord[];
      silentTouch.run(p);
      const back = silentBack.all(p) as AlertRecord[];
      const gone = silentGone.all(p) as AlertRecord[];
      enqueue(events({ raised, back }), p.now);
      return { raised, back, gone };
    },
  );
  const low = db.prepare('SELECT id, name, remaining FROM clients WHERE remaining <= ? ORDER BY id');
  const expiring = db.prepare(`
    SELECT id, expires_at FROM licenses
    WHERE status IN ('activated','active') AND expires_at >= ? AND expires_at < ? ORDER BY expires_at`);

  const reconcileTx = db.transaction(
    (type: AlertType, active: readonly ActiveCondition[], now: string, events: EventsOf) => {
      const p = { type, now, active: JSON.stringify(active), touchBefore: touchBefore(now) };
      const raised = active.length ? (raise.all(p) as AlertRecord[]) : [];
      if (active.length) touch.run(p);
      const resolved = resolve.all(p) as AlertRecord[];
      enqueue(events({ raised, resolved }), now);
      return { raised, resolved };
    },
  );
  const raiseTx = db.transaction((type: AlertType, c: ActiveCondition, now: string, events: EventsOf) => {
    const p = { type, now, active: JSON.stringify([c]), touchBefore: now };
    const raised = raise.all(p) as AlertRecord[];
    if (raised.length === 0) touch.run(p);
    enqueue(events({ raised, resolved: [] }), now);
    return raised[0];
  });

  return {
    async reconcile(type, active, now, events) {
      return reconcileTx(type, active, now, events);
    },
    async raise(type, c, now, events) {
      return raiseTx(type, c, now, events);
    },
    async resolveStale(type, before, now, events) {
      return staleTx(type, before, now, events);
    },
    async list(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.state) {
        where.push('state = ?');
        args.push(q.state);
      }
      if (q.type) {
        where.push('type = ?');
        args.push(q.type);
      }
      const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const alerts = db
        .prepare(`SELECT * FROM alerts ${w} ORDER BY last_seen DESC, id DESC LIMIT ? OFFSET ?`)
        .all(...args, q.limit, q.offset) as AlertRecord[];
      const total = db
        .prepare(`SELECT count(*) FROM alerts ${w}`)
        .pluck()
        .get(...args) as number;
      return { alerts, total };
    },
    async open(type) {
      return openOf.all(type) as AlertRecord[];
    },
    async openCounts() {
      const out: Partial<Record<AlertType, number>> = {};
      for (const r of counts.all() as { type: AlertType; n: number }[]) out[r.type] = r.n;
      return out;
    },
    async reconcileSilence(asOf, sec, now, events) {
      return silenceTx({ asOf, sec, now, touchBefore: touchBefore(now) }, events);
    },
    async clientsAtOrBelow(threshold) {
      return low.all(threshold) as { id: number; name: string; remaining: number }[];
    },
    async licensesExpiring(from, until) {
      return expiring.all(from, until) as { id: string; expires_at: string }[];
    },
  };
}
