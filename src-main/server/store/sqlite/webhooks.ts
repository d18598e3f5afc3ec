import type { WebhookEventType } from '../../../../src-shared/api/webhooks.js';
import type {
  DeliveryJob,
  DeliveryRecord,
  NewWebhookEvent,
  WebhookRecord,
  WebhooksRepo,
} from '../webhooks-repo.js';
import type { Db } from './db.js';

interface WebhookRow extends Omit<WebhookRecord, 'events' | 'enabled'> {
  events: string;
  enabled: number;
}

export const eventsFilter = (events: readonly string[]) => `,${[...new Set(events)].join(',')},`;
export const filterEvents = (s: string) => s.split(',').filter(Boolean) as WebhookEventType[];
const toRecord = (r: WebhookRow): WebhookRecord => ({
  ...r,
  events: filterEvents(r.events),
  enabled: r.enabled === 1,
});

/**
 * The fan-out of events to subscribed endpoints as one statement, so the alerts repository runs it inside the
 * transaction that raised the alert.
 */
export function sqliteEnqueue(db: Db): (events: readonly NewWebhookEvent[], now: string) => number {
  const stmt = db.prepare(`
    INSERT INTO webhook_deliveries
      (webhook_id, event_id, event_type, payload, status, attempt, next_attempt_at, created_at, updated_at)
    SELECT w.id, json_extract(e.value, '$.id'), json_extract(e.value, '$.type'), json_extract(e.value, '$.payload'),
           'pending', 0, @now, @now, @now
    FROM json_each(@events) e
    JOIN webhooks w ON w.enabled = 1 AND instr(w.events, ',' || json_extract(e.value, '$.type') || ',') > 0`);
  return (events, now) =>
    events.length === 0 ? 0 : stmt.run({ events: JSON.stringify(events), now }).changes;
}

/** Tables created by migration 12 (alerts-schema.ts). */
export function sqliteWebhooks(db: Db): WebhooksRepo {
  const insert = db.prepare(
    `INSERT INTO webhooks (id, url, events, secret_enc, enabled, created_at) VALUES (?, ?, ?, ?, 1, ?) RETURNING *`,
  );
  const all = db.prepare('SELECT * FROM webhooks ORDER BY created_at, id');
  const one = db.prepare('SELECT * FROM webhooks WHERE id = ?');
  const del = db.prepare('DELETE FROM webhooks WHERE id = ?');
  const delDeliveries = db.prepare('DELETE FROM webhook_deliveries WHERE webhook_id = ?');
  const enqueue = sqliteEnqueue(db);
  const enqueueOne = db.prepare(`
    INSERT INTO webhook_deliveries
      (webhook_id, event_id, event_type, payload, status, attempt, next_attempt_at, created_at, updated_at)
    SELECT id, @event_id, @type, @payload, 'pending', 0, @now, @now, @now FROM webhooks WHERE id = @id
    RETURNING id`);
  const claim = db.prepare(`
    UPDATE webhook_deliveries SET next_attempt_at = @lease
    WHERE id IN (
      SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.enabled = 1
      WHERE d.status = 'pending' AND d.next_attempt_at <= @now
      ORDER BY d.next_attempt_at LIMIT @limit)
    RETURNING id, webhook_id, payload, attempt, created_at`);
  const attempt = db.prepare(`
    UPDATE webhook_deliveries SET status = @status, attempt = @attempt, response_code = @response_code,
      response_time_ms = @response_time_ms, error = @error, next_attempt_at = @next_attempt_at, updated_at = @now
    WHERE id = @id`);
  const streak = db.prepare(`
    UPDATE webhooks SET
      consecutive_failures = CASE WHEN @ok = 1 THEN 0 ELSE consecutive_failures + 1 END,
      failing_since = CASE WHEN @ok = 1 THEN NULL ELSE coalesce(failing_since, @now) END
    WHERE id = @webhook_id RETURNING consecutive_failures, failing_since`);
  const disable = db.prepare('UPDATE webhooks SET enabled = 0, disabled_at = ? WHERE id = ? AND enabled = 1');
  const failPending = db.prepare(`
    UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
      error = 'endpoint disabled' || coalesce(' after ' || error, ''),
      updated_at = ? WHERE webhook_id = ? AND status = 'pending'`);
  const page = db.prepare(`
    SELECT id, webhook_id, event_id, event_type, status, attempt, response_code, response_time_ms, error,
      created_at, updated_at, next_attempt_at
    FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`);
  const count = db.prepare('SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?').pluck();

  const claimTx = db.transaction((now: string, lease: string, limit: number): DeliveryJob[] => {
    const rows = claim.all({ now, lease, limit }) as Omit<DeliveryJob, 'url' | 'secret_enc'>[];
    const hooks = new Map<string, WebhookRow>();
    return rows.map((r) => {
      let w = hooks.get(r.webhook_id);
      if (!w) hooks.set(r.webhook_id, (w = one.get(r.webhook_id) as WebhookRow));
      return { ...r, url: w.url, secret_enc: w.secret_enc };
    });
  });
  return {
    async create(w) {
      return toRecord(insert.get(w.id, w.url, eventsFilter(w.events), w.secret_enc, w.now) as WebhookRow);
    },
    async list() {
      return (all.all() as WebhookRow[]).map(toRecord);
    },
    async get(id) {
      const r = one.get(id) as WebhookRow | undefined;
      return r && toRecord(r);
    },
    async delete(id) {
      return db.transaction(() => {
        delDeliveries.run(id);
        return del.run(id).changes === 1;
      })();
    },
    async enqueue(events, now) {
      return enqueue(events, now);
    },
    async enqueueFor(id, e, now) {
      const r = enqueueOne.get({ id, event_id: e.id, type: e.type, payload: e.payload, now }) as
        { id: number } | undefined;
      return r?.id;
    },
    async claimDue(now, leaseUntil, limit) {
      return claimTx(now, leaseUntil, limit);
    },
    async recordAttempt(r) {
      return db.transaction(() => {
        attempt.run(r);
        const s = streak.get({
          ok: r.status === 'delivered' ? 1 : 0,
          now: r.now,
          webhook_id: r.webhook_id,
        }) as { consecutive_failures: number; failing_since: string | null } | undefined;
        return s ?? { consecutive_failures: 0, failing_since: null };
      })();
    },
    async disable(id, now) {
      return db.transaction(() => {
        if (disable.run(now, id).changes !== 1) return false;
        failPending.run(now, id);
        return true;
      })();
    },
    async deliveries(webhookId, offset, limit) {
      return {
        deliveries: page.all(webhookId, limit, offset) as DeliveryRecord[],
        total: count.get(webhookId) as number,
      };
    },
  };
}
