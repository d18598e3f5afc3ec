import type { AppliedResult, ApplyOp, BatchOutcome, CopyRecord, SyncRepo } from '../sync-repo.js';
import type { PgDb } from './db.js';

/** Signals `db.tx` to run the batch again (an op of it was stored by a concurrent batch meanwhile). */
class ConcurrentReplay extends Error {
  readonly code = '40001';
}

type Stored = { op_key: string; status: 'synced' | 'failed'; error: AppliedResult['error'] };

/**
 * One batch, one READ COMMITTED transaction, a handful of statements whatever its size:
 * 1. `SELECT … FOR UPDATE` the clients the batch copies for, in id order (so two batches never deadlock on them).
 *    Every other batch or quota change for those clients, on any instance, now waits for this commit, so
 *    counting their remaining quota in memory is exact.
 * 2. Read which ops are stored already (replays answer their first result and apply nothing).
 * 3. Insert the new ops in one statement (`INSERT … SELECT FROM unnest … ON CONFLICT (device_id, op_key) DO
 *    NOTHING`). If a concurrent batch without those clients stored one of them between 2 and 3, fewer rows come
 *    back: the transaction is rolled back and run again, and then sees that op as a replay.
 * 4. One conditional UPDATE per client (`remaining >= n`), backed by CHECK (remaining >= 0).
 */
export function pgSync(db: PgDb): SyncRepo {
  return {
    applyBatch(by, ops) {
      return db.tx(async (q): Promise<BatchOutcome> => {
        const clientIds = [
          ...new Set(ops.filter((o) => o.type === 'copy').map((o) => (o as { clientId: number }).clientId)),
        ].sort((a, b) => a - b);
        const left = new Map<number, number | null>(clientIds.map((id) => [id, null]));
        if (clientIds.length > 0) {
          const rows = await q.query<{ id: number; remaining: number }>(
            'SELECT id, remaining FROM clients WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE',
            [clientIds],
          );
          for (const r of rows) left.set(r.id, r.remaining);
        }
        const keys = [...new Set(ops.map((o) => o.key))];
        const stored = new Map<string, Stored>();
        for (const s of await q.query<Stored>(
          'SELECT op_key, status, error FROM sync_ops WHERE device_id = $1 AND op_key = ANY($2::text[])',
          [by.deviceId, keys],
        ))
          stored.set(s.op_key, s);

        const results: AppliedResult[] = new Array(ops.length);
        const fresh: { op: ApplyOp; status: 'synced' | 'failed'; error: AppliedResult['error'] }[] = [];
        const taken = new Map<number, number>();
        for (let i = 0; i < ops.length; i++) {
          const op = ops[i]!;
          const prev = stored.get(op.key);
          if (prev) {
            results[i] = { status: prev.status, error: prev.error, duplicate: true };
            continue;
          }
          let status: 'synced' | 'failed' = 'synced';
          let error: AppliedResult['error'] = null;
          if (op.type === 'copy') {
            const r = left.get(op.clientId) ?? null;
            if (r === null) [status, error] = ['failed', 'CLIENT_NOT_FOUND'];
            else if (r <= 0) [status, error] = ['failed', 'QUOTA_EXCEEDED'];
            else {
              left.set(op.clientId, r - 1);
              taken.set(op.clientId, (taken.get(op.clientId) ?? 0) + 1);
            }
          }
          // A key repeated later in the same batch is a replay of this op.
          stored.set(op.key, { op_key: op.key, status, error });
          fresh.push({ op, status, error });
          results[i] = { status, error, duplicate: false };
        }

        if (fresh.length > 0) {
          const cols: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
          for (const { op, status, error } of fresh) {
            const copy = op.type === 'copy';
            cols[0]!.push(op.key);
            cols[1]!.push(op.opId);
            cols[2]!.push(op.uuid);
            cols[3]!.push(op.type);
            cols[4]!.push(status);
            cols[5]!.push(error);
            cols[6]!.push(copy ? op.clientId : null);
            cols[7]!.push(copy ? op.uid : null);
            cols[8]!.push(copy ? null : op.payload);
          }
          const inserted = await q.query(
            `INSERT INTO sync_ops (device_id, user_id, created_at, op_key, op_id, uuid, type, status, error,
               client_id, uid, payload)
             SELECT $1::text, $2::bigint, $3::timestamptz, o.k, o.i, o.u, o.t, o.s, o.e, o.c, o.d, o.p
             FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
               $9::text[], $10::bigint[], $11::text[], $12::text[]) WITH ORDINALITY AS o(k, i, u, t, s, e, c, d, p, n)
             ORDER BY n
             ON CONFLICT (device_id, op_key) DO NOTHING RETURNING 1`,
            [by.deviceId, by.userId, by.now, ...cols.slice(0, 9)],
            'outpost_sync_insert',
          );
          if (inserted.length !== fresh.length) throw new ConcurrentReplay('op stored by a concurrent batch');
        }

        const changedClients: BatchOutcome['changedClients'] = [];
        for (const [id, n] of taken) {
          const rows = await q.query<BatchOutcome['changedClients'][number]>(
            `UPDATE clients SET remaining = remaining - $1, used = used + $1, updated_at = $2
             WHERE id = $3 AND remaining >= $1 RETURNING id, name, remaining, used`,
            [n, by.now, id],
          );
          if (rows.length !== 1) throw new Error(`quota of client ${id} changed mid-batch`);
          changedClients.push(rows[0]!);
        }
        return { results, changedClients };
      });
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
