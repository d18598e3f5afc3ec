/** Seed 000 plugin activity records. Times are ISO 8601 UTC strings (`toISOString()`), which sort as text. */
export interface PluginRecord {
  id: number;
  plugin_id: string;
  plugin_name: string | null;
  version: string | null;
  user_id: string | null;
  computer_name: string | null;
  system_info: string | null;
  ip_address: string | null;
  action: string | null;
  source: string | null;
  /** What the client said its clock was (may be wrong or absent). */
  client_timestamp: string | null;
  /** Server receive time of the latest heartbeat. */
  last_heartbeat: string;
  created_at: string;
  updated_at: string;
}

export interface PluginHeartbeat {
  plugin_id: string;
  plugin_name?: string;
  version?: string;
  user_id?: string;
  computer_name?: string;
  system_info?: string;
  ip_address: string | null;
  action?: string;
  source?: string;
  client_timestamp?: string;
  /** Server receive time; becomes last_heartbeat (and updated_at). */
  received_at: string;
}

export interface PluginCounts {
  total: number;
  /** last_heartbeat >= activeSince */
  active: number;
  /** last_heartbeat >= recentSince */
  recent: number;
}

export interface PluginsRepo {
  /**
   * Creates the plugin or updates it in place (one row per plugin_id). Fields the heartbeat leaves out keep their
   * previous value.
   */
  upsertHeartbeat(hb: PluginHeartbeat): Promise<{ record: PluginRecord; created: boolean }>;
  /** Most recently seen first. */
  list(opts: { limit: number; offset: number }): Promise<PluginRecord[]>;
  counts(activeSince: string, recentSince: string): Promise<PluginCounts>;
}
