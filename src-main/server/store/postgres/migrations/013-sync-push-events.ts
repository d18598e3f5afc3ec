import type { PgMigration } from '../db.js';

/**
 * `outpost_sync_push`: one push batch applied by `outpost_sync_apply` (migration 7) and its realtime events
 * inserted into the fleet's outbox (`runtime_events`, the runtime's migration 20) by the same statement, so in
 * the same transaction. Before, the events were a second INSERT and a second commit after the batch's, which a
 * push had to await before answering (an acknowledged push must never lose its `quota_updated`): on a loaded
 * database that second commit was a third of a push's time. Now the batch and its events are durable together,
 * at one commit; the wake-up (NOTIFY) is sent by the runtime afterwards, never inside this transaction.
 *
 * The rows are the runtime's `realtime` rows, exactly as the route builds the same events for its own sockets:
 * - `quota_updated` to every authenticated socket, per client whose quota moved, in client id order;
 * - `copy_completed` to the device, with the entries (JSON text from the route) of the copies synced now;
 * - `sync_completed` to the device, with the totals (malformed ops, never sent here, count in p_total).
 * Result codes (migration 7): lower case s = synced now, upper case = a replay of a stored result.
 * A unique violation raised by the apply (a concurrent batch stored one of these ops) aborts the whole
 * statement, events included, and the store runs the batch again.
 * The function body refers to runtime_events, which a fresh database creates later in the same migration run:
 * PL/pgSQL resolves tables when the function first runs, not when it is created.
 */
export const syncPushEventsMigration: PgMigration = {
  version: 13,
  name: 'sync: batch apply and its outbox events in one transaction (outpost_sync_push)',
  up: `
    CREATE FUNCTION outpost_sync_push(
      p_device text, p_user bigint, p_now timestamptz,
      p_keys text[], p_op_ids text[], p_uuids text[], p_clients bigint[], p_uids text[], p_payloads text[],
      p_origin text, p_at bigint, p_ts bigint, p_stamp text, p_total integer, p_copies text[],
      OUT codes text, OUT changed json)
    LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $fn$
    DECLARE
      to_device json := json_build_object('kind', 'device', 'deviceId', p_device);
      synced integer;
      replays integer;
      new_n integer;
      new_copies text;
    BEGIN
      SELECT a.codes, a.changed INTO codes, changed
      FROM outpost_sync_apply(p_device, p_user, p_now, p_keys, p_op_ids, p_uuids, p_clients, p_uids, p_payloads) a;
      synced := length(codes) - length(translate(codes, 'sS', ''));
      replays := length(codes) - length(translate(codes, 'SQNF', ''));
      IF codes !~ '[^s]' THEN
        -- The usual push: every op synced now, so every copy entry is a new copy (array_to_string skips the
        -- NULLs of tag writes). Spares a per-op filter and aggregate.
        new_copies := array_to_string(p_copies, ',');
        new_n := cardinality(array_remove(p_copies, NULL));
      ELSE
        SELECT count(*), string_agg(c, ',' ORDER BY i) INTO new_n, new_copies
        FROM unnest(p_copies) WITH ORDINALITY AS t(c, i)
        WHERE c IS NOT NULL AND substr(codes, i::integer, 1) = 's';
      END IF;
      INSERT INTO runtime_events (origin, kind, payload, at)
      SELECT p_origin, 'realtime', e.payload, p_at FROM (
        SELECT 0 AS ord, q.id AS sub, json_build_object(
            'target', json_build_object('kind', 'authenticated'),
            'event', 'quota_updated',
            'data', json_build_object('client_id', q.id, 'name', q.name, 'remaining', q.remaining,
              'total', q.remaining + q.used, 'timestamp', p_stamp, 'ts', p_ts)) AS payload
        FROM json_to_recordset(changed) AS q(id bigint, name text, remaining bigint, used bigint)
        UNION ALL
        SELECT 1, 0, ('{"target":' || to_device::text || ',"event":"copy_completed","data":{"device_id":'
            || to_json(p_device)::text || ',"count":' || new_n || ',"copies":[' || new_copies || ']}}')::json
        WHERE new_n > 0
        UNION ALL
        SELECT 2, 0, json_build_object(
            'target', to_device,
            'event', 'sync_completed',
            'data', json_build_object('device_id', p_device, 'total', p_total, 'synced', synced,
              'failed', p_total - synced, 'duplicates', replays, 'server_time', p_stamp))
      ) e ORDER BY e.ord, e.sub;
    END
    $fn$;
  `,
};
