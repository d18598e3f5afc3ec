import type { PgMigration } from '../db.js';

/**
 * The statement that decides and applies one batch, after its clients are locked. `replays` says whether to
 * look up which ops are stored already (one index probe per op) or to assume none is.
 * - Decided per op: the first occurrence of a key that is not stored is new; the k-th new copy of a client is
 *   synced iff k <= its remaining, else QUOTA_EXCEEDED; a copy of a client that does not exist is
 *   CLIENT_NOT_FOUND; tag writes are synced.
 * - A plain INSERT: UNIQUE (device_id, op_key) rejects an op stored before (or by a concurrent batch) with a
 *   unique violation, which aborts this statement and everything it did. Cheaper than ON CONFLICT, which walks
 *   the unique index twice per row (a pre-check, then the insert).
 * - One UPDATE per client that took quota, guarded by remaining >= n (and CHECK (remaining >= 0)).
 * - One result character per op in batch order: s synced, q failed QUOTA_EXCEEDED, n failed CLIENT_NOT_FOUND,
 *   f failed without an error; upper case when the op was stored before or earlier in this batch (a replay:
 *   nothing applied now). `changed`: the clients whose quota moved, with their final figures.
 */
function applyStatement(replays: boolean): string {
  const stored = replays
    ? `SELECT o.n, s.status, s.error FROM o
       CROSS JOIN LATERAL (
         SELECT status, error FROM sync_ops s WHERE s.device_id = p_device AND s.op_key = o.k LIMIT 1
       ) s`
    : `SELECT NULL::bigint AS n, NULL::text AS status, NULL::text AS error WHERE false`;
  return `
      WITH o AS MATERIALIZED (
        SELECT k COLLATE "C" AS k, i, u, c, d, p, n
        FROM unnest(p_keys, p_op_ids, p_uuids, p_clients, p_uids, p_payloads) WITH ORDINALITY AS o(k, i, u, c, d, p, n)
      ),
      stored AS MATERIALIZED (${stored}),
      fresh AS (
        SELECT DISTINCT ON (o.k) o.* FROM o
        WHERE NOT EXISTS (SELECT 1 FROM stored WHERE stored.n = o.n)
        ORDER BY o.k, o.n
      ),
      decided AS MATERIALIZED (
        SELECT f.*, CASE
            WHEN f.c IS NULL THEN NULL
            WHEN cl.id IS NULL THEN 'CLIENT_NOT_FOUND'
            WHEN row_number() OVER (PARTITION BY f.c ORDER BY f.n) <= cl.remaining THEN NULL
            ELSE 'QUOTA_EXCEEDED'
          END AS error
        FROM fresh f LEFT JOIN clients cl ON cl.id = f.c
      ),
      ins AS (
        INSERT INTO sync_ops (device_id, user_id, created_at, op_key, op_id, uuid, type, status, error,
          client_id, uid, payload)
        SELECT p_device, p_user, p_now, k, i, u, CASE WHEN c IS NULL THEN 'write' ELSE 'copy' END,
          CASE WHEN error IS NULL THEN 'synced' ELSE 'failed' END, error, c, d, p
        FROM decided ORDER BY n
        RETURNING client_id, type, status
      ),
      taken AS MATERIALIZED (
        SELECT client_id, count(*)::integer AS n FROM ins
        WHERE type = 'copy' AND status = 'synced' GROUP BY client_id
      ),
      upd AS (
        UPDATE clients cl SET remaining = cl.remaining - t.n, used = cl.used + t.n, updated_at = p_now
        FROM taken t WHERE cl.id = t.client_id AND cl.remaining >= t.n
        RETURNING cl.id, cl.name, cl.remaining, cl.used
      )
      SELECT
        (SELECT string_agg(
            CASE WHEN s.n IS NOT NULL OR d.n <> o.n THEN upper(x.code) ELSE x.code END, '' ORDER BY o.n)
          FROM o
          LEFT JOIN stored s ON s.n = o.n
          LEFT JOIN decided d ON s.n IS NULL AND d.k = o.k
          CROSS JOIN LATERAL (SELECT CASE
              WHEN coalesce(s.status, CASE WHEN d.error IS NULL THEN 'synced' ELSE 'failed' END) = 'synced'
                THEN 's'
              WHEN coalesce(s.error, d.error) = 'QUOTA_EXCEEDED' THEN 'q'
              WHEN coalesce(s.error, d.error) = 'CLIENT_NOT_FOUND' THEN 'n'
              ELSE 'f'
            END AS code) x),
        (SELECT json_agg(json_build_object('id', id, 'name', name, 'remaining', remaining, 'used', used)
            ORDER BY id) FROM upd),
        (SELECT count(*) FROM taken),
        (SELECT count(*) FROM upd)
      INTO codes, changed, taken_n, updated_n;
      IF updated_n <> taken_n THEN
        RAISE EXCEPTION 'quota changed mid-batch';
      END IF;`;
}

/**
 * One push batch in one round trip: `outpost_sync_apply`, a PL/pgSQL function called as a single autocommit
 * statement, so a batch pays one network round trip and one commit instead of seven statements and their waits.
 * Everything runs at READ COMMITTED; each statement inside takes a fresh snapshot.
 * 1. Lock the batch's clients (`FOR UPDATE`, id order, so two batches never deadlock on them). Every other
 *    batch or quota change for them, on any instance, waits for this commit; the statements below, started
 *    after the locks are granted, see every batch that held them before.
 * 2. The usual batch holds no replay: decide and insert assuming none (a subtransaction). A replayed op hits
 *    UNIQUE (device_id, op_key); the subtransaction rolls back (the client locks, taken outside it, stay) and
 * 3. the batch is decided again, this time probing the unique index for every op and answering stored ones
 *    with their first result.
 * A concurrent batch that holds none of these clients' locks (tag writes, other clients) can still store one of
 * these ops between step 3's snapshot and its insert: that unique violation leaves the function, nothing of the
 * batch is applied, and the caller runs the batch again (it is then a replay). So each (device, op) is stored
 * and counted exactly once, by the unique index, whatever the interleaving.
 *
 * The key columns get the "C" collation: they are only compared for equality (identical bytes under any
 * deterministic collation), and PostgreSQL 15 compares text under a database locale such as C.UTF-8 or
 * en_US.UTF-8 with strcoll, several times the cost of memcmp, on every B-tree step of the unique index that each
 * insert and each replay probe walks. Changing the collation rebuilds that index once (no table rewrite); the
 * two views over the table are recreated unchanged because PostgreSQL will not retype a column under a view.
 * The function always runs generic plans: its inputs are arrays whose size the planner cannot see anyway, and
 * re-planning the statement on every call cost more than executing it.
 */
export const syncApplyMigration: PgMigration = {
  version: 7,
  name: 'sync: one-round-trip batch apply (outpost_sync_apply), C collation on op keys',
  up: `
    DROP VIEW copies;
    DROP VIEW tag_writes;
    ALTER TABLE sync_ops
      ALTER COLUMN device_id TYPE text COLLATE "C",
      ALTER COLUMN op_key TYPE text COLLATE "C";
    CREATE VIEW copies AS
      SELECT id, client_id, device_id, user_id, uid, uuid AS op_uuid, op_id, created_at
      FROM sync_ops WHERE type = 'copy' AND status = 'synced';
    CREATE VIEW tag_writes AS
      SELECT id, device_id, user_id, uuid AS op_uuid, op_id, payload, created_at
      FROM sync_ops WHERE type = 'write' AND status = 'synced';

    CREATE FUNCTION outpost_sync_apply(
      p_device text, p_user bigint, p_now timestamptz,
      p_keys text[], p_op_ids text[], p_uuids text[], p_clients bigint[], p_uids text[], p_payloads text[],
      OUT codes text, OUT changed json)
    LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $fn$
    DECLARE
      taken_n bigint;
      updated_n bigint;
    BEGIN
      PERFORM 1 FROM clients WHERE id = ANY (p_clients) ORDER BY id FOR UPDATE;
      BEGIN
        ${applyStatement(false)}
        RETURN;
      EXCEPTION WHEN unique_violation THEN
        NULL;
      END;
      ${applyStatement(true)}
    END
    $fn$;
  `,
};
