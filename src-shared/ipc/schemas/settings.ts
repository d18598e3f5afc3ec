import { z } from 'zod';
import { NoInput } from './common.js';

export const ProfileInput = z.strictObject({
  name: z.string().trim().min(1).max(64),
  base_url: z.url({ protocol: /^https?$/ }).max(2048),
  timeout: z.number().positive().max(600),
  retries: z.number().int().min(0).max(10),
  verify_tls: z.boolean(),
});
export type ProfileInput = z.infer<typeof ProfileInput>;

/**
 * A profile as the UI sees it. Profiles carry no credential: no server route takes a per-profile token (the
 * device secret, the station's JWT and the embedded server's admin key are the agent's own secrets).
 */
export const ProfileView = z.object({
  name: z.string(),
  base_url: z.string(),
  timeout: z.number(),
  retries: z.number().int(),
  verify_tls: z.boolean(),
});
export type ProfileView = z.infer<typeof ProfileView>;

export const EmbeddedServerMode = z.enum(['off', 'local', 'lan']);
export type EmbeddedServerMode = z.infer<typeof EmbeddedServerMode>;

/** settings.json was corrupt when the agent started: defaults are in use and the bad file was set aside. */
export const SettingsRecovery = z.object({
  path: z.string(),
  moved_to: z.string().nullable(),
  /** What was wrong, without the file's content ("not valid JSON", "invalid value for profiles.0.base_url"). */
  reason: z.string(),
});
export type SettingsRecovery = z.infer<typeof SettingsRecovery>;

export const SettingsView = z.object({
  active: z.string(),
  profiles: z.array(ProfileView),
  heartbeat_interval_sec: z.number(),
  device_note: z.string(),
  public_ip_url: z.string().nullable(),
  embedded_server: z.object({ mode: EmbeddedServerMode, port: z.number().int() }),
  /** OUTPOST_SERVER_URL is set: the active profile's base_url is overridden by the environment. */
  server_url_overridden: z.boolean(),
  /** Set for the whole run after a corrupt settings.json was replaced by the defaults (the UI shows a banner). */
  settings_recovered: SettingsRecovery.nullable(),
});
export type SettingsView = z.infer<typeof SettingsView>;

/** What settings.update may change; the embedded server goes through server.configure. */
export const SettingsPatch = z.strictObject({
  active: z.string().trim().min(1).max(64).optional(),
  profiles: z.array(ProfileInput).min(1).max(50).optional(),
  heartbeat_interval_sec: z.number().int().min(5).max(3600).optional(),
  device_note: z.string().max(500).optional(),
  public_ip_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .nullable()
    .optional(),
});
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const settings = {
  'settings.get': { input: NoInput, output: SettingsView },
  'settings.update': { input: SettingsPatch, output: SettingsView },
} as const;
