import { z } from 'zod';
import { checkTokenCode, DEVICE_KEY_PATTERN } from '../codes.js';

/**
 * Seed 004 (meeting device integration), server side: admin enrolment of devices with a one-time 6-hex token,
 * device registration (token burn → device secret), bearer-authenticated heartbeats, device details and SSH keys.
 * Every device route answers seed 004's envelope: `{ok:true, ...}` on success, `{ok:false, message, code}` on
 * failure. Unknown body fields are stripped (zod's default for objects), never stored.
 */

export { DEVICE_KEY_PATTERN } from '../codes.js';

export const DeviceKey = z
  .string()
  .regex(DEVICE_KEY_PATTERN, 'device_key must be 3-64 characters of A-Z a-z 0-9 . _ -');

export const DeviceKeyParams = z.object({ key: DeviceKey });
export type DeviceKeyParams = z.infer<typeof DeviceKeyParams>;

/**
 * The seed's token: 6 hex characters. What an operator pasted (`ab-cd-ef`) is accepted: the server compares the
 * shared normaliser's form (devices/tokens.ts), the same one the agent and the UI apply.
 */
export const TokenCode = z
  .string()
  .max(32)
  .refine((s) => checkTokenCode(s).ok, 'token_code must be 6 hexadecimal characters');

const shortText = (max: number) => z.string().max(max).nullish();

/**
 * What a device reports about itself (seed 004 "Device Information Collection"). Every field is optional;
 * `null` means "not known" and is treated like an absent field (the stored value is kept).
 */
export const DeviceInfo = z.object({
  ip_address: shortText(64),
  ip_lan: shortText(64),
  ip_public: shortText(64),
  mac: shortText(64),
  cluster_ip: shortText(64),
  note: shortText(500),
  hostname: shortText(255),
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;

export const DEVICE_INFO_FIELDS = [
  'ip_address',
  'ip_lan',
  'ip_public',
  'mac',
  'cluster_ip',
  'note',
  'hostname',
] as const;

export const DeviceStatus = z.enum(['pending', 'registered', 'revoked']);
export type DeviceStatus = z.infer<typeof DeviceStatus>;

// ---- admin (X-API-Key) ----

/** `POST /api/admin/devices`: without device_key the server makes one (`device-<8 hex>`). */
export const AdminCreateDeviceBody = z
  .object({
    device_key: DeviceKey.optional(),
    note: z.string().max(500).optional(),
  })
  .nullish();
export type AdminCreateDeviceBody = z.infer<typeof AdminCreateDeviceBody>;

/** A freshly issued one-time token (creation and `POST /api/admin/devices/:key/token`). */
export const AdminTokenResponse = z.object({
  ok: z.literal(true),
  device_key: DeviceKey,
  token_code: z.string(),
  token_expires_at: z.string(),
});
export type AdminTokenResponse = z.infer<typeof AdminTokenResponse>;

const deviceCommon = {
  device_key: DeviceKey,
  note: z.string().nullable(),
  status: DeviceStatus,
  /** Seen within 3 heartbeat intervals. */
  online: z.boolean(),
  last_seen: z.string().nullable(),
  registered_at: z.string().nullable(),
  ip_address: z.string().nullable(),
  ip_lan: z.string().nullable(),
  ip_public: z.string().nullable(),
  mac: z.string().nullable(),
  cluster_ip: z.string().nullable(),
};

export const AdminDevice = z.object({
  ...deviceCommon,
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  /** Expiry of the live one-time token, null when none is outstanding. */
  token_expires_at: z.string().nullable(),
  has_ssh_key: z.boolean(),
});
export type AdminDevice = z.infer<typeof AdminDevice>;

export const AdminDeviceList = z.object({
  ok: z.literal(true),
  count: z.number().int(),
  online: z.number().int(),
  heartbeat_interval_sec: z.number().int(),
  devices: z.array(AdminDevice),
});
export type AdminDeviceList = z.infer<typeof AdminDeviceList>;

export const AdminRevokeResponse = z.object({
  ok: z.literal(true),
  message: z.string(),
  device_key: DeviceKey,
});
export type AdminRevokeResponse = z.infer<typeof AdminRevokeResponse>;

// ---- device (token, then Bearer device secret) ----

export const RegisterBody = DeviceInfo.extend({ token_code: TokenCode });
export type RegisterBody = z.infer<typeof RegisterBody>;

export const RegisterResponse = z.object({
  ok: z.literal(true),
  message: z.string(),
  device_key: DeviceKey,
  /** Shown once: the server keeps only its SHA-256. Send it as `Authorization: Bearer <secret>`. */
  device_secret: z.string(),
  next_heartbeat_sec: z.number().int(),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;

/** `POST /api/devices/:key/online`: the body itself may be absent (Fastify then passes null). */
export const HeartbeatBody = DeviceInfo.nullish();
export type HeartbeatBody = z.infer<typeof HeartbeatBody>;

export const HeartbeatResponse = z.object({
  ok: z.literal(true),
  message: z.string(),
  server_time: z.string(),
  next_heartbeat_sec: z.number().int(),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

export const DeviceDetails = z.object({
  ...deviceCommon,
  ssh_pubkey: z.string().nullable(),
  heartbeat_interval_sec: z.number().int(),
});
export type DeviceDetails = z.infer<typeof DeviceDetails>;

export const DeviceDetailsResponse = z.object({ ok: z.literal(true), device: DeviceDetails });
export type DeviceDetailsResponse = z.infer<typeof DeviceDetailsResponse>;

export const SshKeyBody = z.object({
  /** One OpenSSH public key line: `ssh-ed25519 AAAA... comment`. */
  pubkey: z.string().min(1).max(16_384),
});
export type SshKeyBody = z.infer<typeof SshKeyBody>;

export const SshKeyResponse = z.object({
  ok: z.literal(true),
  message: z.string(),
  key_type: z.string(),
  /** OpenSSH-style `SHA256:<base64>` fingerprint. */
  fingerprint: z.string(),
});
export type SshKeyResponse = z.infer<typeof SshKeyResponse>;

/** The device-route error envelope (seed 004). */
export const DeviceError = z.object({
  ok: z.literal(false),
  message: z.string(),
  code: z.string(),
  details: z.unknown().optional(),
});
export type DeviceError = z.infer<typeof DeviceError>;
