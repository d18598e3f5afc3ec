import type { PluginRecord, PluginsRepo } from '../plugins-repo.js';
import type { Queryable } from './db.js';

const COLS = `id, plugin_id, plugin_name, version, user_id, computer_name, system_info, ip_address, action,
  source, client_timestamp, last_heartbeat, created_at, updated_at`;

export function pgPlugins(db: Queryable): PluginsRepo {
  return {
    async upsertHeartbeat(hb) {
      // One statement, so two instances taking the first heartbeat of a plugin at once make one row. xmax = 0
      // holds for a row this statement inserted (an updated row carries the updating transaction's id).
      const rows = await db.query<PluginRecord & { created: boolean }>(
        `INSERT INTO plugins AS p (plugin_id, plugin_name, version, user_id, computer_name, system_info,
           ip_address, action, source, client_timestamp, last_heartbeat, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11)
         ON CONFLICT (plugin_id) DO UPDATE SET
           plugin_name = COALESCE(excluded.plugin_name, p.plugin_name),
           version = COALESCE(excluded.version, p.version),
           user_id = COALESCE(excluded.user_id, p.user_id),
           computer_name = COALESCE(excluded.computer_name, p.computer_name),
           system_info = COALESCE(excluded.system_info, p.system_info),
           ip_address = COALESCE(excluded.ip_address, p.ip_address),
           action = COALESCE(excluded.action, p.action),
           source = COALESCE(excluded.source, p.source),
           client_timestamp = excluded.client_timestamp,
           last_heartbeat = excluded.last_heartbeat,
           updated_at = excluded.updated_at
         RETURNING ${COLS}, (xmax = 0) AS created`,
        [
          hb.plugin_id,
          hb.plugin_name ?? null,
          hb.version ?? null,
          hb.user_id ?? null,
          hb.computer_name ?? null,
          hb.system_info ?? null,
          hb.ip_address ?? null,
          hb.action ?? null,
          hb.source ?? null,
          hb.client_timestamp ?? null,
          hb.received_at,
        ],
        'outpost_plugin_upsert',
      );
      const { created, ...record } = rows[0]!;
      return { record, created };
    },
    async list(opts) {
      return db.query<PluginRecord>(
        `SELECT ${COLS} FROM plugins ORDER BY last_heartbeat DESC, id DESC LIMIT $1 OFFSET $2`,
        [opts.limit, opts.offset],
      );
    },
    async counts(activeSince, recentSince) {
      const rows = await db.query<{ total: number; active: number; recent: number }>(
        `SELECT count(*) AS total,
           count(*) FILTER (WHERE last_heartbeat >= $1) AS active,
           count(*) FILTER (WHERE last_heartbeat >= $2) AS recent
         FROM plugins`,
        [activeSince, recentSince],
      );
      return rows[0]!;
    },
  };
}
