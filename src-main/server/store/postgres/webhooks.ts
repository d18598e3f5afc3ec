import type {
  DeliveryJob,
  DeliveryRecord,
  NewWebhookEvent,
  WebhookRecord,
  WebhooksRepo,
} from '../webhooks-repo.js';
import { eventsFilter, filterEvents } from '../sqlite/webhooks.js';
import type { PgDb, Queryable } from './db.js';

type WebhookRow = Omit<WebhookRecord, 'events'> & { events: string };
const toRecord = (r: WebhookRow): WebhookRecord => ({ ...r, events: filterEvents(r.events) });
const HOOK_COLS =
  'id, url, events, secret_enc, enabled, created_at, disabled_at, consecutive_failures, failing_since';

/**
 * The fan-out of events to subscribed endpoints as one statement, so the alerts repository runs it inside the
 * transaction that raised the alert.
 */
export async function pgEnqueue(
  q: Queryable,
  events: readonly NewWebhookEvent[],
  now: string,
): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await q.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO webhook_deliveries
         (webhook_id, event_id, event_type, payload, status, attempt, next_attempt_at, created_at, updated_at)
       SELECT w.id, e.id, e.type, e.payload, 'pending', 0, $4, $4, $4
       FROM unnest($1::text[], $2::text[], $3::text[]) AS e(id, type, payload)
       JOIN webhooks w ON w.enabled AND strpos(w.events, ',' || e.type || ',') > 0
       RETURNING 1)
     SELECT count(*) AS n FROM ins`,
    [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.payload), now],
  );
  return rows[0]!.n;
}

/** Tables created by migration 11 (migrations/011-alerts-webhooks.ts). */
export function pgWebhooks(db: PgDb): WebhooksRepo {
  return {
    async create(w) {
      const rows = await db.query<WebhookRow>(
        `INSERT INTO webhooks (id, url, events, secret_enc, enabled, created_at) VALUES ($1, $2, $3, $4, true, $5)
         RETURNING ${HOOK_COLS}`,
        [w.id, w.url, eventsFilter(w.events), w.secret_enc, w.now],
      );
      return toRecord(rows[0]!);
    },
    async list() {
      return (await db.query<WebhookRow>(`SELECT ${HOOK_COLS} FROM webhooks ORDER BY created_at, id`)).map(
        toRecord,
      );
    },
    async get(id) {
      const rows = await db.query<WebhookRow>(`SELECT ${HOOK_COLS} FROM webhooks WHERE id = $1`, [id]);
      return rows[0] && toRecord(rows[0]);
    },
    async delete(id) {
      // The deliveries go with it (ON DELETE CASCADE).
      return (await db.query('DELETE FROM webhooks WHERE id = $1 RETURNING id', [id])).length === 1;
    },
    enqueue: (events, now) => pgEnqueue(db, events, now),
    async enqueueFor(id, e, now) {
      const rows = await db.query<{ id: number }>(
        `INSERT INTO webhook_deliveries
           (webhook_id, event_id, event_type, payload, status, attempt, next_attempt_at, created_at, updated_at)
         SELECT id, $2, $3, $4, 'pending', 0, $5, $5, $5 FROM webhooks WHERE id = $1 RETURNING id`,
        [id, e.id, e.type, e.payload, now],
      );
      return rows[0]?.id;
    },
    async claimDue(now, leaseUntil, limit) {
      // SKIP LOCKED: a dispatcher overlapping during a takeover moves on to other rows instead of queueing, and
      // the lease it writes keeps a row it claimed out of the other's next claim.
      return db.query<DeliveryJob>(
        `UPDATE webhook_deliveries d SET next_attempt_at = $2
         FROM (SELECT d2.id FROM webhook_deliveries d2 JOIN webhooks w ON w.id = d2.webhook_id AND w.enabled
               WHERE d2.status = 'pending' AND d2.next_attempt_at <= $1
               ORDER BY d2.next_attempt_at LIMIT $3 FOR UPDATE OF d2 SKIP LOCKED) c, webhooks w
         WHERE d.id = c.id AND w.id = d.webhook_id
         RETURNING d.id, d.webhook_id, w.url, w.secret_enc, d.payload, d.attempt, d.created_at`,
        [now, leaseUntil, limit],
      );
    },
    async recordAttempt(r) {
      return db.tx(async (q) => {
        await q.query(
          `UPDATE webhook_deliveries SET status = $2, attempt = $3, response_code = $4, response_time_ms = $5,
             error = $6, next_attempt_at = $7, updated_at = $8 WHERE id = $1`,
          [r.id, r.status, r.attempt, r.response_code, r.response_time_ms, r.error, r.next_attempt_at, r.now],
        );
        const rows = await q.query<{ consecutive_failures: number; failing_since: string | null }>(
          `UPDATE webhooks SET
             consecutive_failures = CASE WHEN $2 THEN 0 ELSE consecutive_failures + 1 END,
             failing_since = CASE WHEN $2 THEN NULL ELSE coalesce(failing_since, $3) END
           WHERE id = $1 RETURNING consecutive_failures, failing_since`,
          [r.webhook_id, r.status === 'delivered', r.now],
        );
        return rows[0] ?? { consecutive_failures: 0, failing_since: null };
      });
    },
    async disable(id, now) {
      return db.tx(async (q) => {
        const rows = await q.query(
          'UPDATE webhooks SET enabled = false, disabled_at = $2 WHERE id = $1 AND enabled RETURNING id',
          [id, now],
        );
        if (rows.length !== 1) return false;
        await q.query(
          `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
             error = 'endpoint disabled' || coalesce(' after ' || error, ''),
             updated_at = $2 WHERE webhook_id = $1 AND status = 'pending'`,
          [id, now],
        );
        return true;
      });
    },
    async deliveries(webhookId, offset, limit) {
      const [deliveries, total] = await Promise.all([
        db.query<DeliveryRecord>(
          `SELECT id, webhook_id, event_id, event_type, status, attempt, response_code, response_time_ms, error,
             created_at, updated_at, next_attempt_at
           FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`,
          [webhookId, limit, offset],
        ),
        db.query<{ n: number }>('SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = $1', [
          webhookId,
        ]),
      ]);
      return { deliveries, total: total[0]!.n };
    },
  };
}
