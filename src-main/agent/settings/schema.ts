/**
 * settings.json schema (seed 004's profiles + agent options). zod parses every read; unknown keys are stripped,
 * missing keys take their defaults, so an older file keeps working. A profile holds no credential (a `token` key
 * in an old file is stripped on read): no server route takes a per-profile token.
 */
import { z } from 'zod';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8787';

export const profileSchema = z.object({
  name: z.string().min(1).max(64),
  base_url: z.url({ protocol: /^https?$/ }),
  timeout: z.number().positive().max(600).default(20),
  retries: z.number().int().min(0).max(10).default(3),
  verify_tls: z.boolean().default(true),
});

export const settingsSchema = z
  .object({
    active: z.string().min(1).default('default'),
    profiles: z
      .array(profileSchema)
      .min(1)
      .default([
        { name: 'default', base_url: DEFAULT_SERVER_URL, timeout: 20, retries: 3, verify_tls: true },
      ]),
    heartbeat_interval_sec: z.number().min(1).max(86_400).default(60),
    // Empty: the device sends no note, so the one the operator gave it on the server stays. Set, it is sent
    // with registration and heartbeats and replaces the server's.
    device_note: z.string().max(200).default(''),
    public_ip_url: z.url().optional(),
    cluster_ip: z.string().max(64).optional(),
    plugin_id_prefix: z.string().min(1).max(40).default('outpost'),
    plugin_heartbeat_interval_sec: z.number().min(1).max(86_400).default(300),
    embedded_server: z
      .object({
        mode: z.enum(['off', 'local', 'lan']).default('off'),
        port: z.number().int().min(0).max(65_535).default(8787),
      })
      .default({ mode: 'off', port: 8787 }),
  })
  .refine((s) => s.profiles.some((p) => p.name === s.active), {
    message: 'active must name one of the profiles',
    path: ['active'],
  })
  .refine((s) => new Set(s.profiles.map((p) => p.name)).size === s.profiles.length, {
    message: 'profile names must be unique',
    path: ['profiles'],
  });

export type Profile = z.infer<typeof profileSchema>;
export type SettingsData = z.infer<typeof settingsSchema>;

export function defaultSettings(): SettingsData {
  return settingsSchema.parse({});
}
