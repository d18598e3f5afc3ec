import { z } from 'zod';
import { DeviceKey, NoInput, NullableTimestamp } from './common.js';

/**
 * The admin console: calls proxied by main to the embedded server with the admin API key main holds (the UI
 * never sees the key). Available when server.status says `admin_available`; else ADMIN_UNAVAILABLE.
 */
export const AdminDevice = z.object({
  device_key: z.string(),
  note: z.string().nullable(),
  online: z.boolean(),
  registered: z.boolean(),
  revoked: z.boolean(),
  last_seen: NullableTimestamp,
  created_at: NullableTimestamp,
  ip_address: z.string().nullable(),
  /** Expiry of the device's unused registration token, null when none is outstanding (used, revoked, expired). */
  token_expires_at: NullableTimestamp.optional(),
});
export type AdminDevice = z.infer<typeof AdminDevice>;

/** A one-time registration token: listed as outstanding in the console until used, revoked, replaced or expired. */
export const DeviceToken = z.object({
  device_key: z.string(),
  token_code: z.string(),
  expires_at: NullableTimestamp,
});
export type DeviceToken = z.infer<typeof DeviceToken>;

export const AdminClient = z.object({
  id: z.number().int(),
  name: z.string(),
  quota: z.number().int(),
  remaining: z.number().int(),
  created_at: NullableTimestamp,
});
export type AdminClient = z.infer<typeof AdminClient>;

export const AdminLicense = z.object({
  id: z.string(),
  license_key: z.string(),
  status: z.string(),
  duration_days: z.number().int(),
  max_machines: z.number().int().nullable(),
  description: z.string().nullable(),
  activated_at: NullableTimestamp,
  expires_at: NullableTimestamp,
  created_at: NullableTimestamp,
  user_email: z.string().nullable(),
});
export type AdminLicense = z.infer<typeof AdminLicense>;

export const Pagination = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  totalPages: z.number().int(),
});

export const StatsPoint = z.object({
  /** Start of the minute (ISO). */
  minute: z.string(),
  heartbeats: z.number().int().nonnegative(),
  online: z.number().int().nonnegative().nullable(),
});

export const AdminStats = z.object({
  online_devices: z.number().int().nonnegative(),
  total_devices: z.number().int().nonnegative(),
  /** Last 60 minutes, oldest first; minutes before the server or the sampler started are left out. */
  points: z.array(StatsPoint),
});
export type AdminStats = z.infer<typeof AdminStats>;

const LicenseId = z.strictObject({ id: z.string().min(1).max(64) });

export const admin = {
  'admin.devices.list': { input: NoInput, output: z.object({ devices: z.array(AdminDevice) }) },
  'admin.devices.create': {
    input: z.strictObject({ device_key: DeviceKey.optional(), note: z.string().max(500).optional() }),
    output: DeviceToken,
  },
  /** Tokens this console issued that the server still holds unused (kept in the agent's memory only). */
  'admin.devices.outstanding': { input: NoInput, output: z.object({ tokens: z.array(DeviceToken) }) },
  'admin.devices.newToken': { input: z.strictObject({ device_key: DeviceKey }), output: DeviceToken },
  'admin.devices.revoke': {
    input: z.strictObject({ device_key: DeviceKey }),
    output: z.object({ device_key: z.string() }),
  },
  'admin.clients.list': { input: NoInput, output: z.object({ clients: z.array(AdminClient) }) },
  'admin.clients.create': {
    input: z.strictObject({
      name: z.string().trim().min(1).max(200),
      quota: z.number().int().min(0).max(1_000_000_000),
    }),
    output: AdminClient,
  },
  'admin.clients.topUp': {
    input: z.strictObject({
      id: z.number().int().positive(),
      add: z.number().int().positive().max(1_000_000_000),
    }),
    output: AdminClient,
  },
  /** Takes copies away (the console confirms first); refused below 0 with nothing changed. */
  'admin.clients.reduce': {
    input: z.strictObject({
      id: z.number().int().positive(),
      by: z.number().int().positive().max(1_000_000_000),
    }),
    output: AdminClient,
  },
  'admin.clients.rename': {
    input: z.strictObject({ id: z.number().int().positive(), name: z.string().trim().min(1).max(200) }),
    output: AdminClient,
  },
  /** Only a client nothing was billed to (the console confirms first). */
  'admin.clients.delete': {
    input: z.strictObject({ id: z.number().int().positive() }),
    output: z.object({ id: z.number().int() }),
  },
  'admin.licenses.list': {
    input: z
      .strictObject({
        page: z.number().int().min(1).optional(),
        limit: z.number().int().min(1).max(100).optional(),
        sort: z.enum(['created_at', 'updated_at', 'expires_at']).optional(),
        order: z.enum(['asc', 'desc']).optional(),
        status: z.enum(['generated', 'activated', 'active', 'expired', 'revoked']).optional(),
        search: z.string().max(200).optional(),
      })
      .optional(),
    output: z.object({ licenses: z.array(AdminLicense), pagination: Pagination }),
  },
  'admin.licenses.generate': {
    input: z.strictObject({
      duration_days: z.number().int().min(1).max(3650),
      description: z.string().max(500).optional(),
      max_machines: z.number().int().min(1).max(100).optional(),
    }),
    output: AdminLicense,
  },
  'admin.licenses.revoke': { input: LicenseId, output: AdminLicense },
  'admin.stats': { input: NoInput, output: AdminStats },
} as const;
