import type { AppliedResult, ApplyOp, BatchOutcome, CopyRecord, SyncRepo } from '../sync-repo.js';
import type { Db, Migration } from './db.js';

/** Migration 4 (seeds 001 and 003): clients + quotas, the exactly-once ops table, copies, tag writes, notifications. */
export const syncMigration: Migration = {
  version: 4,
  name: 'auth/clients/sync/notifications',
  up: `
    CREATE TABLE clients (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL UNIQUE COLLATE NOCASE,
      remaining INTEGER NOT NULL CHECK (remaining >= 0),
      used INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    -- One row per op identity (UNIQUE op_key: what makes a replay a no-op), copies and tag writes included:
    -- one insert per op keeps 500-op batches cheap. copies and tag_writes are views over it.
    CREATE TABLE sync_ops (
      id INTEGER PRIMARY KEY,
      op_key TEXT NOT NULL UNIQUE,
      device_id TEXT NOT NULL,
      user_id INTEGER NOT NULL,
      op_id TEXT NOT NULL,
      uuid TEXT,
      type TEXT NOT NULL CHECK (type IN ('copy','write')),
      status TEXT NOT NULL CHECK (status IN ('synced','failed')),
      error TEXT,
      client_id INTEGER,
      uid TEXT,
      payload TEXT,
      created_at TEXT NOT NULL
    );
    CREATE VIEW copies AS
      SELECT id, client_id, device_id, user_id, uid, uuid AS op_uuid, op_id, created_at
      FROM sync_ops WHERE type = 'copy' AND status = 'synced';
    CREATE VIEW tag_writes AS
      SELECT id, device_id, user_id, uuid AS op_uuid, op_id, payload, created_at
      FROM sync_ops WHERE type = 'write' AND status = 'synced';
    CREATE TABLE notifications (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      device_id TEXT,
      type TEXT NOT NULL,
      title TEXT NOT NULL,
      message TEXT NOT NULL,
      data TEXT,
      created_at TEXT NOT NULL
    );
    CREATE INDEX notifications_device ON notifications (device_id);
    CREATE TABLE notification_reads (
      notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
      reader TEXT NOT NULL,
      read_at TEXT NOT NULL,
      PRIMARY KEY (notification_id, reader)
    ) WITHOUT ROWID;
  `,
};

export function sqliteSync(db: Db): SyncRepo {
  // The first insert for an op_key wins; a conflict means this op is a replay and nothing else happens.
  const insertOp = db.prepare(
    `INSERT INTO sync_ops
       (op_key, device_id, user_id, op_id, uuid, type, status, error, client_id, uid, payload, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (op_key) DO NOTHING`,
  );
  const stored = db.prepare('SELECT status, error FROM sync_ops WHERE op_key = ?');
  const remainingOf = db.prepare('SELECT remaining FROM clients WHERE id = ?').pluck();
  // The quota guard: conditional, so remaining can never go below 0 (and the CHECK constraint backs it up).
  const take = db.prepare(
    `UPDATE clients SET remaining = remaining - ?, used = used + ?, updated_at = ?
     WHERE id = ? AND remaining >= ?`,
  );
  const clientFigures = db.prepare('SELECT id, name, remaining, used FROM clients WHERE id = ?');

  /**
   * One batch, one IMMEDIATE transaction: the write lock is held throughout, so counting remaining quota in
   * memory per client and writing each client's total once at the end is exact; the conditional UPDATE then
   * refuses (and rolls the batch back) if anything else had changed it.
   */
  const apply = db.transaction(
    (by: { deviceId: string; userId: number; now: string }, ops: ApplyOp[]): BatchOutcome => {
      const results: AppliedResult[] = new Array(ops.length);
      const left = new Map<number, number | null>();
      const taken = new Map<number, number>();
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        let status: 'synced' | 'failed' = 'synced';
        let error: AppliedResult['error'] = null;
        if (op.type === 'copy') {
          let r = left.get(op.clientId);
          if (r === undefined) {
            r = (remainingOf.get(op.clientId) as number | undefined) ?? null;
            left.set(op.clientId, r);
          }
          if (r === null) [status, error] = ['failed', 'CLIENT_NOT_FOUND'];
          else if (r <= 0) [status, error] = ['failed', 'QUOTA_EXCEEDED'];
        }
        const copy = op.type === 'copy';
        const fresh = insertOp.run(
          op.key,
          by.deviceId,
          by.userId,
          op.opId,
          op.uuid,
          op.type,
          status,
          error,
          copy ? op.clientId : null,
          copy ? op.uid : null,
          copy ? null : op.payload,
          by.now,
        ).changes;
        if (fresh === 0) {
          const prev = stored.get(op.key) as { status: 'synced' | 'failed'; error: string | null };
          results[i] = { status: prev.status, error: prev.error as AppliedResult['error'], duplicate: true };
          continue;
        }
        if (copy && status === 'synced') {
          left.set(op.clientId, left.get(op.clientId)! - 1);
          taken.set(op.clientId, (taken.get(op.clientId) ?? 0) + 1);
        }
        results[i] = { status, error, duplicate: false };
      }
      const changedClients: BatchOutcome['changedClients'] = [];
      for (const [id, n] of taken) {
        if (take.run(n, n, by.now, id, n).changes !== 1)
          throw new Error(`quota of client ${id} changed mid-batch`);
        changedClients.push(clientFigures.get(id) as BatchOutcome['changedClients'][number]);
      }
      return { results, changedClients };
    },
  );

  return {
    async applyBatch(by, ops) {
      // IMMEDIATE: take the write lock up front so a second process cannot interleave inside the batch.
      return apply.immediate(by, ops);
    },
    async listCopies(q) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (q.deviceId !== undefined) {
        where.push('device_id = ?');
        args.push(q.deviceId);
      }
      if (q.clientId !== undefined) {
        where.push('client_id = ?');
        args.push(q.clientId);
      }
      const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const total = (db.prepare(`SELECT COUNT(*) AS n FROM copies ${filter}`).get(...args) as { n: number })
        .n;
      const pageWhere = [...where, 'id > ?'];
      const copies = db
        .prepare(`SELECT * FROM copies WHERE ${pageWhere.join(' AND ')} ORDER BY id LIMIT ?`)
        .all(...args, q.afterId ?? 0, q.limit) as CopyRecord[];
      return { total, copies };
    },
  };
}
