import { z } from 'zod';

/**
 * Seed 000 (ProGran3 plugin activity): `POST /api/heartbeat` and `GET /api/plugins`.
 *
 * The plugin builds its id as `progran3-#{hostname}-#{username}`.downcase, so ids are lowercase; hostnames and
 * user names bring dots, underscores, `@`, hyphens, and on Windows also spaces, apostrophes and non-Latin letters
 * (a Cyrillic user name downcases to Cyrillic lowercase). Those are accepted, so a real plugin is never refused for
 * its user's name; uppercase (not downcased), slashes, control characters and edge spaces are not. Every string is length-capped so one client cannot grow
 * the table without bound. Unknown fields are stripped (zod's default for objects), never stored.
 */
export const PLUGIN_ID_RE =
  /^[\p{Ll}\p{Lo}\p{Lm}\p{Nd}._@'-](?:[\p{Ll}\p{Lo}\p{Lm}\p{Nd}._@' -]*[\p{Ll}\p{Lo}\p{Lm}\p{Nd}._@'-])?$/u;

export const PluginId = z
  .string()
  .min(1, 'plugin_id must not be empty')
  .max(128, 'plugin_id must be at most 128 characters')
  .regex(PLUGIN_ID_RE, "plugin_id may contain only lowercase letters, digits, inner spaces and . _ @ ' -");

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

export const HeartbeatRequest = z.object({
  plugin_id: PluginId,
  plugin_name: text(100).optional(),
  version: text(50).optional(),
  user_id: text(320).optional(),
  computer_name: text(255).optional(),
  system_info: text(500).optional(),
  /** The client's clock (ISO 8601 with a timezone: `Z` or `+hh:mm`). Kept as `client_timestamp`. */
  timestamp: z.iso
    .datetime({ offset: true, message: 'timestamp must be ISO 8601 with a timezone' })
    .max(64)
    .optional(),
  action: text(64).optional(),
  source: text(64).optional(),
  /** Client hints from the seed; a heartbeat always upserts (an idempotent "seen now"), so both are accepted only. */
  update_existing: z.boolean().optional(),
  force_update: z.boolean().optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const HeartbeatResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  plugin: z.object({
    id: z.number().int(),
    plugin_id: z.string(),
    last_heartbeat: z.string(),
    is_active: z.boolean(),
  }),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

/** One row of `GET /api/plugins`: the seed's fields, plus the client's own clock and a few extras. */
export const PluginView = z.object({
  id: z.number().int(),
  plugin_id: z.string(),
  plugin_name: z.string().nullable(),
  version: z.string().nullable(),
  user_id: z.string().nullable(),
  computer_name: z.string().nullable(),
  ip_address: z.string().nullable(),
  /** Server receive time of the latest heartbeat (identical in both APIs). */
  last_heartbeat: z.string(),
  is_active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  /** The `timestamp` the client sent with its latest heartbeat (its own clock, may be wrong or absent). */
  client_timestamp: z.string().nullable(),
  system_info: z.string().nullable(),
  action: z.string().nullable(),
  source: z.string().nullable(),
});
export type PluginView = z.infer<typeof PluginView>;

export const PluginStats = z.object({
  total_plugins: z.number().int(),
  /** Seen within 3 heartbeat intervals. */
  active_plugins: z.number().int(),
  /** Seen within the last 24 hours. */
  recent_plugins: z.number().int(),
});
export type PluginStats = z.infer<typeof PluginStats>;

export const PluginsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
});
export type PluginsQuery = z.infer<typeof PluginsQuery>;

export const PluginsResponse = z.object({
  success: z.literal(true),
  data: z.object({
    plugins: z.array(PluginView),
    stats: PluginStats,
    sync_info: PluginStats.extend({ last_check: z.string() }),
    diagnosis: z.object({
      connection: z.enum(['OK', 'ERROR']),
      recent_records: z.array(PluginView),
      stats: PluginStats.extend({
        active_window_sec: z.number().int(),
        recent_window_sec: z.number().int(),
        database: z.string(),
        response_time_ms: z.number(),
      }),
      diagnosis_time: z.string(),
    }),
    last_updated: z.string(),
  }),
});
export type PluginsResponse = z.infer<typeof PluginsResponse>;
