import type { Migration } from './db.js';

/**
 * Version 12: alerts (one open row per (type, target), enforced by a partial unique index so racing evaluators
 * cannot open two), webhook endpoints, and the durable delivery queue. `webhooks.events` is the filter as
 * `,type,type,` so one `instr` matches a type exactly in both stores.
 */
export const alertsMigration: Migration = {
  version: 12,
  name: 'alerts, webhooks and their delivery queue',
  up: `
    CREATE TABLE alerts (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      type TEXT NOT NULL,
      target TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('open','resolved')),
      first_seen TEXT NOT NULL,
      last_seen TEXT NOT NULL,
      resolved_at TEXT,
      data TEXT NOT NULL DEFAULT '{}'
    );
    CREATE UNIQUE INDEX alerts_open ON alerts (type, target) WHERE state = 'open';
    CREATE INDEX alerts_state_seen ON alerts (state, last_seen);
    CREATE TABLE webhooks (
      id TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      events TEXT NOT NULL,
      secret_enc TEXT NOT NULL,
      enabled INTEGER NOT NULL DEFAULT 1,
      created_at TEXT NOT NULL,
      disabled_at TEXT,
      consecutive_failures INTEGER NOT NULL DEFAULT 0,
      failing_since TEXT
    );
    CREATE TABLE webhook_deliveries (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
      event_id TEXT NOT NULL,
      event_type TEXT NOT NULL,
      payload TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
      attempt INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT,
      response_code INTEGER,
      response_time_ms INTEGER,
      error TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
  `,
};
