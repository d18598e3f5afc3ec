import type { AppliedResult, BatchOutcome, CopyRecord, SyncRepo } from '../sync-repo.js';
import type { PgDb } from './db.js';

/**
 * Errors after which the batch runs again, having applied nothing: a concurrent batch stored one of its ops
 * after the function looked (23505 from UNIQUE (device_id, op_key); the next run answers that op as a replay),
 * or a deadlock or serialization failure was broken in another transaction's favour.
 */
const RETRYABLE = new Set(['23505', '40001', '40P01']);
const ATTEMPTS = 5;

const APPLY = `SELECT codes, changed FROM outpost_sync_apply($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
/** The same batch plus its realtime events in the fleet's outbox, in the same transaction (migration 13). */
const PUSH = `SELECT codes, changed
  FROM outpost_sync_push($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`;

/** One result per code character (see migration 007); upper case is a replay of a stored result. */
const RESULTS: Record<string, AppliedResult> = {
  s: { status: 'synced', error: null, duplicate: false },
  q: { status: 'failed', error: 'QUOTA_EXCEEDED', duplicate: false },
  n: { status: 'failed', error: 'CLIENT_NOT_FOUND', duplicate: false },
  f: { status: 'failed', error: null, duplicate: false },
  S: { status: 'synced', error: null, duplicate: true },
  Q: { status: 'failed', error: 'QUOTA_EXCEEDED', duplicate: true },
  N: { status: 'failed', error: 'CLIENT_NOT_FOUND', duplicate: true },
  F: { status: 'failed', error: null, duplicate: true },
};

type ApplyRow = { codes: string | null; changed: BatchOutcome['changedClients'] | null };

const codeOf = (err: unknown) => (err as { code?: unknown } | null)?.code;

/**
 * A batch is one call of `outpost_sync_apply` (migration 007, which explains the locking): one autocommit
 * statement, so one round trip and one commit whatever the batch size, at READ COMMITTED. The clients' row
 * locks make the quota exact across instances; UNIQUE (device_id, op_key) makes each op stored and counted
 * once. Per op, JS only lays the ops out as column arrays and maps one result character back. With `events`
 * (a PostgreSQL fleet runtime), `outpost_sync_push` (migration 13) also inserts the push's realtime events into
 * the runtime's outbox in the same statement, so they commit with the batch.
 */
export function pgSync(db: PgDb): SyncRepo {
  return {
    async applyBatch(by, ops, events) {
      // Nothing to apply, nothing stored: the caller publishes its events itself (eventsStored is unset).
      if (ops.length === 0) return { results: [], changedClients: [] };
      const n = ops.length;
      const keys: string[] = new Array(n);
      const opIds: string[] = new Array(n);
      const uuids: (string | null)[] = new Array(n);
      const clients: (number | null)[] = new Array(n);
      const uids: (string | null)[] = new Array(n);
      const payloads: (string | null)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const op = ops[i]!;
        keys[i] = op.key;
        opIds[i] = op.opId;
        uuids[i] = op.uuid;
        if (op.type === 'copy') {
          clients[i] = op.clientId;
          uids[i] = op.uid;
          payloads[i] = null;
        } else {
          clients[i] = null;
          uids[i] = null;
          payloads[i] = op.payload;
        }
      }
      const args: unknown[] = [by.deviceId, by.userId, by.now, keys, opIds, uuids, clients, uids, payloads];
      if (events) {
        args.push(events.origin, events.at, events.ts, events.stamp, events.total, events.copies);
      }
      const [sql, name] = events ? [PUSH, 'outpost_sync_push'] : [APPLY, 'outpost_sync_apply'];
      for (let attempt = 1; ; attempt++) {
        let row: ApplyRow;
        try {
          row = (await db.query<ApplyRow>(sql, args, name))[0]!;
        } catch (err) {
          if (attempt < ATTEMPTS && RETRYABLE.has(codeOf(err) as string)) continue;
          throw err;
        }
        const codes = row.codes ?? '';
        if (codes.length !== n) throw new Error(`sync apply answered ${codes.length} results for ${n} ops`);
        const results: AppliedResult[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const r = RESULTS[codes[i]!];
          if (!r) throw new Error(`sync apply answered an unknown result code '${codes[i]}'`);
          results[i] = { ...r };
        }
        return { results, changedClients: row.changed ?? [], eventsStored: events !== undefined };
      }
    },
    async listCopies(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.deviceId !== undefined) {
        args.push(q.deviceId);
        where.push(`device_id = $${args.length}`);
      }
      if (q.clientId !== undefined) {
        args.push(q.clientId);
        where.push(`client_id = $${args.length}`);
      }
      const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const total = (await db.query<{ n: number }>(`SELECT count(*) AS n FROM copies ${filter}`, args))[0]!.n;
      const page = [...args, q.afterId ?? 0, q.limit];
      const copies = await db.query<CopyRecord>(
        `SELECT id, client_id, device_id, user_id, uid, op_uuid, op_id, created_at FROM copies
         WHERE ${[...where, `id > $${args.length + 1}`].join(' AND ')} ORDER BY id LIMIT $${args.length + 2}`,
        page,
      );
      return { total, copies };
    },
  };
}
