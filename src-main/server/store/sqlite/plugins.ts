import type { PluginHeartbeat, PluginRecord, PluginsRepo } from '../plugins-repo.js';
import type { Db, Migration } from './db.js';

/** Seed 000: one row per plugin_id; the index on last_heartbeat serves the active/recent counts and the list. */
export const pluginsMigration: Migration = {
  version: 3,
  name: 'plugins: seed 000 plugin activity',
  up: `
    CREATE TABLE plugins (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      plugin_id TEXT NOT NULL UNIQUE,
      plugin_name TEXT,
      version TEXT,
      user_id TEXT,
      computer_name TEXT,
      system_info TEXT,
      ip_address TEXT,
      action TEXT,
      source TEXT,
      client_timestamp TEXT,
      last_heartbeat TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX plugins_last_heartbeat ON plugins (last_heartbeat);
  `,
};

export function sqlitePlugins(db: Db): PluginsRepo {
  const byPluginId = db.prepare('SELECT id FROM plugins WHERE plugin_id = ?').pluck();
  // Omitted fields keep their previous value (COALESCE); the connection address and times always refresh.
  const upsert = db.prepare(
    `INSERT INTO plugins (plugin_id, plugin_name, version, user_id, computer_name, system_info, ip_address,
       action, source, client_timestamp, last_heartbeat, created_at, updated_at)
     VALUES (@plugin_id, @plugin_name, @version, @user_id, @computer_name, @system_info, @ip_address,
       @action, @source, @client_timestamp, @received_at, @received_at, @received_at)
     ON CONFLICT (plugin_id) DO UPDATE SET
       plugin_name = COALESCE(excluded.plugin_name, plugin_name),
       version = COALESCE(excluded.version, version),
       user_id = COALESCE(excluded.user_id, user_id),
       computer_name = COALESCE(excluded.computer_name, computer_name),
       system_info = COALESCE(excluded.system_info, system_info),
       ip_address = COALESCE(excluded.ip_address, ip_address),
       action = COALESCE(excluded.action, action),
       source = COALESCE(excluded.source, source),
       client_timestamp = excluded.client_timestamp,
       last_heartbeat = excluded.last_heartbeat,
       updated_at = excluded.updated_at
     RETURNING *`,
  );
  const list = db.prepare(
    'SELECT * FROM plugins ORDER BY last_heartbeat DESC, id DESC LIMIT @limit OFFSET @offset',
  );
  const counts = db.prepare(
    `SELECT COUNT(*) AS total,
       COALESCE(SUM(last_heartbeat >= @activeSince), 0) AS active,
       COALESCE(SUM(last_heartbeat >= @recentSince), 0) AS recent
     FROM plugins`,
  );
  const doUpsert = db.transaction((hb: PluginHeartbeat) => {
    const existed = byPluginId.get(hb.plugin_id) !== undefined;
    const record = upsert.get({
      plugin_id: hb.plugin_id,
      plugin_name: hb.plugin_name ?? null,
      version: hb.version ?? null,
      user_id: hb.user_id ?? null,
      computer_name: hb.computer_name ?? null,
      system_info: hb.system_info ?? null,
      ip_address: hb.ip_address ?? null,
      action: hb.action ?? null,
      source: hb.source ?? null,
      client_timestamp: hb.client_timestamp ?? null,
      received_at: hb.received_at,
    }) as PluginRecord;
    return { record, created: !existed };
  });

  return {
    async upsertHeartbeat(hb) {
      return doUpsert(hb);
    },
    async list(opts) {
      return list.all(opts) as PluginRecord[];
    },
    async counts(activeSince, recentSince) {
      return counts.get({ activeSince, recentSince }) as { total: number; active: number; recent: number };
    },
  };
}
