import type {
  CopyReceipt,
  QueueItem,
  QueueSnapshot,
  Quota,
} from '../../../src-shared/ipc/schemas/station.js';
import { AgentError } from '../errors.js';
import { opUuid } from './op-uuid.js';
import type { StationDb } from './station-db.js';
import { normaliseUid } from './uid.js';

export type OpStatus = 'pending' | 'synced' | 'failed';

export interface RecordedCopy extends CopyReceipt {
  created_at: string;
}

/** One pending op as it goes on the wire; `body` is the op's JSON, pre-serialised (the push is the hot path). */
export interface PendingOp {
  seq: number;
  uuid: string;
  type: 'copy' | 'write';
  client_id: number | null;
  body: string;
}

export interface OpResult {
  id: number | string;
  status: string;
  error?: unknown;
  message?: string;
}

/** The contract's quota plus what the store keeps to recompute it (the server's figure before local pending ops). */
export interface QuotaRow extends Quota {
  server_remaining: number;
  updated_at: string;
}

export interface ServerQuota {
  client_id: number;
  remaining: number;
  name?: string;
  total?: number;
  updated_at?: string;
}

/**
 * The station's durable state: quotas, the op queue and the copies log in station.db. Every mutation is one
 * SQLite transaction, so a crash leaves either all of an operation or none of it.
 */
export class StationStore {
  private readonly stmts;
  private readonly recordTx: (clientId: number, uid: string) => RecordedCopy;

  constructor(private readonly db: StationDb) {
    this.stmts = {
      take: db.prepare(
        'UPDATE quotas SET remaining = remaining - 1 WHERE client_id = ? AND remaining > 0 RETURNING remaining',
      ),
      quotaExists: db.prepare('SELECT 1 FROM quotas WHERE client_id = ?'),
      enqueue: db.prepare(
        "INSERT INTO sync_queue (uuid, type, client_id, payload, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
      ),
      copy: db.prepare('INSERT INTO copies (uuid, client_id, uid, created_at) VALUES (?, ?, ?, ?)'),
      // Rows as arrays (raw): 500 per batch, and skipping the per-row object saves ~30% of the read.
      pending: db
        .prepare(
          "SELECT seq, uuid, type, client_id, payload FROM sync_queue WHERE status = 'pending' AND seq > ? ORDER BY seq LIMIT ?",
        )
        .raw(true),
      markSynced: db.prepare(
        "UPDATE sync_queue SET status = 'synced', error = NULL, attempts = attempts + 1, synced_at = ? WHERE seq = ? AND status = 'pending'",
      ),
      markRangeSynced: db.prepare(
        "UPDATE sync_queue SET status = 'synced', error = NULL, attempts = attempts + 1, synced_at = ? WHERE status = 'pending' AND seq BETWEEN ? AND ?",
      ),
      markFailed: db.prepare(
        "UPDATE sync_queue SET status = 'failed', error = ?, attempts = attempts + 1 WHERE seq = ? AND status = 'pending'",
      ),
      // Prepared once: applyResults flips these around every batch (db.pragma() would re-compile each time).
      syncNormal: db.prepare('PRAGMA synchronous = NORMAL'),
      syncFull: db.prepare('PRAGMA synchronous = FULL'),
      giveBack: db.prepare('UPDATE quotas SET remaining = remaining + 1 WHERE client_id = ?'),
      pendingByClient: db.prepare(
        "SELECT client_id, COUNT(*) AS n FROM sync_queue WHERE status = 'pending' AND client_id IS NOT NULL GROUP BY client_id",
      ),
      upsertQuota: db.prepare(
        // An update without name/total (a bare realtime event) keeps the ones the last pull stored.
        `INSERT INTO quotas (client_id, remaining, server_remaining, updated_at, name, total) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(client_id) DO UPDATE SET remaining = excluded.remaining,
           server_remaining = excluded.server_remaining, updated_at = excluded.updated_at,
           name = COALESCE(excluded.name, quotas.name), total = COALESCE(excluded.total, quotas.total)`,
      ),
      pendingCount: db.prepare("SELECT COUNT(*) AS n FROM sync_queue WHERE status = 'pending'"),
      prune: db.prepare("DELETE FROM sync_queue WHERE status IN ('synced', 'dismissed') AND created_at < ?"),
      counts: db.prepare(
        "SELECT status, COUNT(*) AS n FROM sync_queue WHERE status != 'dismissed' GROUP BY status",
      ),
      failed: db.prepare(
        "SELECT uuid, type, client_id, payload, status, error, attempts, created_at FROM sync_queue WHERE status = 'failed' ORDER BY seq LIMIT ?",
      ),
      pendingItems: db.prepare(
        "SELECT uuid, type, client_id, payload, status, error, attempts, created_at FROM sync_queue WHERE status = 'pending' ORDER BY seq LIMIT ?",
      ),
      byUuid: db.prepare('SELECT seq, uuid, type, client_id, payload, status FROM sync_queue WHERE uuid = ?'),
      quotas: db.prepare(
        'SELECT client_id, name, total, remaining, server_remaining, updated_at FROM quotas ORDER BY client_id',
      ),
      quota: db.prepare(
        'SELECT client_id, name, total, remaining, server_remaining, updated_at FROM quotas WHERE client_id = ?',
      ),
    };

    this.recordTx = db.transaction((clientId: number, uid: string): RecordedCopy => {
      const taken = this.stmts.take.get(clientId) as { remaining: number } | undefined;
      if (!taken) {
        if (!this.stmts.quotaExists.get(clientId)) {
          throw new AgentError(
            'CLIENT_NOT_FOUND',
            `Unknown client ${clientId} on this station: sync to fetch quotas`,
          );
        }
        throw new AgentError('QUOTA_EXCEEDED', `Client ${clientId} has no copies left`);
      }
      const uuid = opUuid(); // time-ordered: keeps the server's and our uuid indexes append-only
      const now = new Date().toISOString();
      const payload = JSON.stringify({ client_id: clientId, uid, recorded_at: now });
      this.stmts.enqueue.run(uuid, 'copy', clientId, payload, now);
      this.stmts.copy.run(uuid, clientId, uid, now);
      return { uuid, client_id: clientId, uid, remaining: taken.remaining, created_at: now };
    });
  }

  /**
   * Validates, then in ONE transaction takes one from the client's quota, enqueues the op (its uuid is fixed now,
   * so a re-push after a lost response is recognised by the server) and logs the copy. Returns after COMMIT,
   * which with synchronous=FULL means the copy survives a crash or power loss.
   */
  recordCopy(clientId: unknown, rawUid: unknown): RecordedCopy {
    const id = typeof clientId === 'string' && /^\d+$/.test(clientId.trim()) ? Number(clientId) : clientId;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
      throw new AgentError('VALIDATION_ERROR', 'client_id must be a positive integer');
    }
    const uid = normaliseUid(rawUid);
    if (!uid.ok) throw new AgentError('VALIDATION_ERROR', uid.reason);
    return this.recordTx(id, uid.uid);
  }

  /** The oldest pending ops (after `afterSeq`, for pipelining), in record order. */
  pendingBatch(limit: number, afterSeq = 0): PendingOp[] {
    const rows = this.stmts.pending.all(afterSeq, limit) as [
      seq: number,
      uuid: string,
      type: 'copy' | 'write',
      client_id: number | null,
      payload: string,
    ][];
    return rows.map(([seq, uuid, type, client_id, payload]) => ({
      seq,
      uuid,
      type,
      client_id,
      body: `{"id":${seq},"uuid":"${uuid}","type":"${type}","payload":${payload}}`,
    }));
  }

  /**
   * Applies the server's per-op results for one batch in one transaction. A failed copy gives its quota back
   * locally; ops the server did not answer for stay pending (their uuid makes the re-push safe).
   */
  applyResults(
    batch: readonly PendingOp[],
    results: readonly OpResult[],
  ): { synced: number; failed: number } {
    const bySeq = new Map(batch.map((op) => [op.seq, op]));
    let synced = 0;
    let failed = 0;
    // No fsync for this commit: results are re-derivable. If a crash loses it, the ops are still pending, get
    // re-pushed, and the server replays the same results (exactly once by uuid); the next FULL commit (any
    // recordCopy) or checkpoint makes it durable anyway. Saves one fsync per batch on the drain's hot path.
    this.stmts.syncNormal.run();
    try {
      this.db.transaction(() => {
        const now = new Date().toISOString();
        // Match results to ops (by id; by position when the server sent none). Unknown ids are ignored.
        const answered = new Map<number, OpResult>();
        results.forEach((r, i) => {
          const op = bySeq.get(Number(r?.id)) ?? (r?.id === undefined ? batch[i] : undefined);
          if (op && (r.status === 'synced' || r.status === 'failed')) answered.set(op.seq, r);
        });
        for (const [seq, r] of answered) {
          if (r.status !== 'failed') continue;
          const op = bySeq.get(seq)!;
          const changed = this.stmts.markFailed.run(errorText(r.error ?? r.message), seq).changes;
          if (changed && op.type === 'copy' && op.client_id !== null) this.stmts.giveBack.run(op.client_id);
          failed += changed;
        }
        if (answered.size === batch.length && batch.length > 0) {
          // Fast path, one statement for the whole batch: the batch is exactly the pending rows between its
          // first and last seq (rows only become pending by INSERT with a new, higher seq; see retry()).
          synced += this.stmts.markRangeSynced.run(now, batch[0]!.seq, batch.at(-1)!.seq).changes;
        } else {
          for (const [seq, r] of answered) {
            if (r.status === 'synced') synced += this.stmts.markSynced.run(now, seq).changes;
          }
        }
      })();
    } finally {
      this.stmts.syncFull.run();
    }
    return { synced, failed };
  }

  /** Local remaining = server remaining − this station's ops the server has not yet confirmed. */
  applyServerQuotas(quotas: readonly ServerQuota[]): void {
    this.db.transaction(() => {
      const pending = new Map(
        (this.stmts.pendingByClient.all() as { client_id: number; n: number }[]).map((r) => [
          r.client_id,
          r.n,
        ]),
      );
      const now = new Date().toISOString();
      for (const q of quotas) {
        if (!Number.isSafeInteger(q.client_id) || !Number.isFinite(q.remaining)) continue;
        const server = Math.max(0, Math.floor(q.remaining));
        const local = Math.max(0, server - (pending.get(q.client_id) ?? 0));
        const name = typeof q.name === 'string' ? q.name : null;
        const total = Number.isFinite(q.total) ? Math.max(0, Math.floor(q.total!)) : null;
        this.stmts.upsertQuota.run(q.client_id, local, server, q.updated_at ?? now, name, total);
      }
    })();
  }

  pendingCount(): number {
    return (this.stmts.pendingCount.get() as { n: number }).n;
  }

  /**
   * Forgets queue rows that are settled (synced or dismissed) and older than `days`: the server has them, the
   * copies log keeps the local history, and the queue stays small enough to count on every status call.
   */
  pruneSynced(days = 7): number {
    return this.stmts.prune.run(new Date(Date.now() - days * 86_400_000).toISOString()).changes;
  }

  /** Counts plus the oldest `limit` failed and pending ops (limit 0: counts only, for the status line). */
  queue(limit = 100): QueueSnapshot {
    const counts = { pending: 0, synced: 0, failed: 0 };
    for (const r of this.stmts.counts.all() as { status: OpStatus; n: number }[]) counts[r.status] = r.n;
    const items = (rows: unknown[]): QueueItem[] =>
      (rows as (Omit<QueueItem, 'uid'> & { payload: string })[]).map(({ payload, ...r }) => ({
        ...r,
        uid: uidOf(payload),
      }));
    return {
      counts,
      failed: limit > 0 ? items(this.stmts.failed.all(limit)) : [],
      pending: limit > 0 ? items(this.stmts.pendingItems.all(limit)) : [],
    };
  }

  quotas(): QuotaRow[] {
    return this.stmts.quotas.all() as QuotaRow[];
  }

  quota(clientId: number): QuotaRow | undefined {
    return this.stmts.quota.get(clientId) as QuotaRow | undefined;
  }

  /**
   * Re-queues a failed op. It gets a NEW uuid: the server remembers the old one's failure and would replay it.
   * A copy takes its quota again, so retry is refused when none is left.
   */
  retry(uuid: string): { uuid: string } {
    return this.db.transaction(() => {
      const row = this.failedRow(uuid);
      if (row.type === 'copy' && row.client_id !== null && !this.stmts.take.get(row.client_id)) {
        throw new AgentError(
          'QUOTA_EXCEEDED',
          `Client ${row.client_id} has no copies left to retry this copy`,
        );
      }
      // A NEW row (new seq at the end of the queue, new uuid): pending rows only ever appear by INSERT, which the
      // sync's batch bookkeeping relies on; the failed row is kept as 'dismissed' for the record.
      const fresh = opUuid();
      const old = this.db
        .prepare('SELECT type, client_id, payload, created_at FROM sync_queue WHERE seq = ?')
        .get(row.seq) as { type: string; client_id: number | null; payload: string; created_at: string };
      this.db.prepare("UPDATE sync_queue SET status = 'dismissed' WHERE seq = ?").run(row.seq);
      this.db
        .prepare(
          "INSERT INTO sync_queue (uuid, type, client_id, payload, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
        )
        .run(fresh, old.type, old.client_id, old.payload, old.created_at);
      this.db.prepare('UPDATE copies SET uuid = ? WHERE uuid = ?').run(fresh, uuid);
      return { uuid: fresh };
    })();
  }

  /** Hides a failed op from the queue view (kept in the file for the record). */
  dismiss(uuid: string): void {
    this.db.transaction(() => {
      const row = this.failedRow(uuid);
      this.db.prepare("UPDATE sync_queue SET status = 'dismissed' WHERE seq = ?").run(row.seq);
    })();
  }

  /** Undoes dismiss(): the op is failed again (it was never sent after failing, so nothing is billed). */
  undismiss(uuid: string): void {
    const changed = this.db
      .prepare("UPDATE sync_queue SET status = 'failed' WHERE uuid = ? AND status = 'dismissed'")
      .run(String(uuid)).changes;
    if (changed === 0) throw new AgentError('NOT_FOUND', 'No such dismissed operation');
  }

  private failedRow(uuid: string): { seq: number; type: string; client_id: number | null; status: string } {
    const row = this.stmts.byUuid.get(String(uuid)) as
      { seq: number; type: string; client_id: number | null; status: string } | undefined;
    if (!row) throw new AgentError('NOT_FOUND', 'No such queued operation');
    if (row.status !== 'failed') throw new AgentError('CONFLICT', `Operation is ${row.status}, not failed`);
    return row;
  }
}

function errorText(err: unknown): string {
  if (typeof err === 'string' && err) return err.slice(0, 500);
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    const parts = [e.code, e.message].filter((p) => typeof p === 'string' && p);
    if (parts.length) return parts.join(': ').slice(0, 500);
  }
  return 'FAILED';
}

function uidOf(payload: string): string | null {
  try {
    const p = JSON.parse(payload) as { uid?: unknown };
    return typeof p.uid === 'string' ? p.uid : null;
  } catch {
    return null;
  }
}
