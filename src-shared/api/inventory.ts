import { z } from 'zod';
import { AdminDevice, DeviceKey } from './devices.js';
import { Pagination } from './licenses.js';

/**
 * The operator's device inventory (seed 002 envelopes and pagination): paged, searchable, filterable and sortable
 * device lists, the device page (state transitions, timeline, heartbeats per hour) and device groups with their
 * heartbeat policy (seed 004's "custom heartbeat intervals").
 */

/** Where a device is now: registered and seen within its group's silence threshold, past it, never registered, revoked. */
export const DeviceState = z.enum(['online', 'offline', 'never', 'revoked']);
export type DeviceState = z.infer<typeof DeviceState>;

export const DeviceSort = z.enum(['last_seen', 'device_key', 'created_at']);
export type DeviceSort = z.infer<typeof DeviceSort>;

/** `GET /api/admin/devices` query. `search` matches device key, note, IP addresses, MAC and hostname as literal text. */
export const DeviceListQuery = z.object({
  search: z.string().max(200).optional(),
  state: DeviceState.optional(),
  /** A group id. */
  group: z.coerce.number().int().positive().optional(),
  sort: DeviceSort.default('last_seen'),
  order: z.enum(['asc', 'desc']).default('desc'),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type DeviceListQuery = z.infer<typeof DeviceListQuery>;

export const GroupRef = z.object({ id: z.number().int(), name: z.string() });
export type GroupRef = z.infer<typeof GroupRef>;

/** A device as the inventory lists it: the admin view plus its state and group. */
export const InventoryDevice = AdminDevice.extend({
  state: DeviceState,
  group: GroupRef,
  hostname: z.string().nullable(),
});
export type InventoryDevice = z.infer<typeof InventoryDevice>;

export const DeviceListResponse = z.object({
  success: z.literal(true),
  data: z.object({ devices: z.array(InventoryDevice), pagination: Pagination }),
});
export type DeviceListResponse = z.infer<typeof DeviceListResponse>;

/** `PUT /api/admin/devices/:key`. */
export const UpdateDeviceBody = z
  .object({
    note: z.string().max(500).nullable().optional(),
    /** A group id. */
    group: z.number().int().positive().optional(),
  })
  .refine((b) => b.note !== undefined || b.group !== undefined, 'nothing to change: give note or group');
export type UpdateDeviceBody = z.infer<typeof UpdateDeviceBody>;

/** When the device last changed state; null for a transition that has not happened (yet). */
export const DeviceTransitions = z.object({
  created_at: z.string(),
  registered_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  /** The last time the offline sweep found it silent beyond its group's threshold. */
  went_offline_at: z.string().nullable(),
  /** The last time it beat again after such a silence. */
  came_online_at: z.string().nullable(),
});
export type DeviceTransitions = z.infer<typeof DeviceTransitions>;

/** `GET` / `PUT /api/admin/devices/:key`: the listed device plus its transitions and its group's policy. */
export const InventoryDeviceDetail = InventoryDevice.extend({
  transitions: DeviceTransitions,
  heartbeat_interval_sec: z.number().int(),
  silence_threshold_sec: z.number().int(),
});
export type InventoryDeviceDetail = z.infer<typeof InventoryDeviceDetail>;

export const DeviceResponse = z.object({ success: z.literal(true), data: InventoryDeviceDetail });
export type DeviceResponse = z.infer<typeof DeviceResponse>;

/** `GET /api/admin/devices/:key/timeline`: newest first. */
export const TimelineQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type TimelineQuery = z.infer<typeof TimelineQuery>;

/** The columns of the inventory's CSV export (`Accept: text/csv` on the list), in order. */
export const DEVICE_CSV_COLUMNS = [
  'device_key',
  'state',
  'group',
  'note',
  'hostname',
  'ip_address',
  'ip_lan',
  'ip_public',
  'mac',
  'cluster_ip',
  'status',
  'last_seen',
  'registered_at',
  'created_at',
  'revoked_at',
] as const;

export const TimelineEventType = z.enum([
  'created',
  'token_issued',
  'registered',
  'revoked',
  'ip_changed',
  'mac_changed',
  'offline',
  'online',
  'license_activated',
  'ssh_key_published',
  'group_changed',
  'note_changed',
]);
export type TimelineEventType = z.infer<typeof TimelineEventType>;

export const TimelineEvent = z.object({
  at: z.string(),
  type: TimelineEventType,
  /** What changed, e.g. `{from, to}` for an IP change; never a secret. */
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const TimelineResponse = z.object({
  success: z.literal(true),
  data: z.object({ device_key: DeviceKey, events: z.array(TimelineEvent), pagination: Pagination }),
});
export type TimelineResponse = z.infer<typeof TimelineResponse>;

/** `GET /api/admin/devices/:key/heartbeats`: heartbeats per hour for the last 7 days, oldest first, 168 buckets. */
export const HeartbeatHistoryResponse = z.object({
  success: z.literal(true),
  data: z.object({
    device_key: DeviceKey,
    buckets: z.array(z.object({ hour: z.string(), count: z.number().int() })),
  }),
});
export type HeartbeatHistoryResponse = z.infer<typeof HeartbeatHistoryResponse>;

// ---- groups ----

export const HEARTBEAT_INTERVAL_MIN_SEC = 5;
export const HEARTBEAT_INTERVAL_MAX_SEC = 3600;

export const Group = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string().nullable(),
  heartbeat_interval_sec: z.number().int(),
  silence_threshold_sec: z.number().int(),
  /** The group devices land in when they have no other (cannot be deleted). */
  is_default: z.boolean(),
  device_count: z.number().int(),
  created_at: z.string(),
});
export type Group = z.infer<typeof Group>;

const groupFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(500).nullable().optional(),
  heartbeat_interval_sec: z.number().int().min(HEARTBEAT_INTERVAL_MIN_SEC).max(HEARTBEAT_INTERVAL_MAX_SEC),
  silence_threshold_sec: z
    .number()
    .int()
    .min(HEARTBEAT_INTERVAL_MIN_SEC)
    .max(7 * 24 * 3600),
};

export const CreateGroupBody = z
  .object(groupFields)
  .refine((g) => g.silence_threshold_sec >= g.heartbeat_interval_sec, {
    message: 'silence_threshold_sec must be at least heartbeat_interval_sec',
    path: ['silence_threshold_sec'],
  });
export type CreateGroupBody = z.infer<typeof CreateGroupBody>;

export const UpdateGroupBody = z.object(groupFields).partial();
export type UpdateGroupBody = z.infer<typeof UpdateGroupBody>;

export const GroupIdParams = z.object({ id: z.coerce.number().int().positive() });

export const GroupResponse = z.object({ success: z.literal(true), data: Group });
export const GroupListResponse = z.object({
  success: z.literal(true),
  data: z.object({ groups: z.array(Group) }),
});
export type GroupListResponse = z.infer<typeof GroupListResponse>;

/** `POST /api/admin/devices/move`: move the selected devices, or every device matching a list filter, to a group. */
export const MoveDevicesBody = z.object({
  group: z.number().int().positive(),
  device_keys: z.array(DeviceKey).max(10_000).optional(),
  filter: DeviceListQuery.pick({ search: true, state: true, group: true }).optional(),
});
export type MoveDevicesBody = z.infer<typeof MoveDevicesBody>;

export const MoveDevicesResponse = z.object({
  success: z.literal(true),
  data: z.object({ moved: z.number().int() }),
});

// ---- bulk enrollment ----

export const BULK_MAX = 10_000;

/** `POST /api/admin/devices/bulk`: `count` generated keys (`<prefix><n>`), or the given `keys`. */
export const BulkEnrollBody = z
  .object({
    count: z.number().int().min(1).max(BULK_MAX).optional(),
    keys: z.array(DeviceKey).min(1).max(BULK_MAX).optional(),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, 'prefix: 1-40 characters of A-Z a-z 0-9 . _ -')
      .optional(),
    group: z.number().int().positive().optional(),
    token_ttl_sec: z
      .number()
      .int()
      .min(60)
      .max(30 * 24 * 3600)
      .optional(),
  })
  .refine((b) => (b.count === undefined) !== (b.keys === undefined), 'give either count or keys');
export type BulkEnrollBody = z.infer<typeof BulkEnrollBody>;

export const BulkEnrolledDevice = z.object({
  device_key: DeviceKey,
  token_code: z.string(),
  token_expires_at: z.string(),
});
export type BulkEnrolledDevice = z.infer<typeof BulkEnrolledDevice>;

export const BulkEnrollResponse = z.object({
  success: z.literal(true),
  data: z.object({ batch_id: z.string(), devices: z.array(BulkEnrolledDevice) }),
});
export type BulkEnrollResponse = z.infer<typeof BulkEnrollResponse>;

/** A 409 `DEVICE_KEYS_TAKEN` answer's `details`: the keys that exist already or repeat in the request. */
export const BulkKeysTakenDetails = z.object({ keys: z.array(z.string()), total: z.number().int() });
export type BulkKeysTakenDetails = z.infer<typeof BulkKeysTakenDetails>;

/** The columns of the CSV answer (`Accept: text/csv`), in order; the batch id comes in `X-Batch-Id`. */
export const BULK_CSV_COLUMNS = ['device_key', 'token_code', 'token_expires_at'] as const;

export const BatchIdParams = z.object({
  batch_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'batch_id: 1-64 characters of A-Z a-z 0-9 _ -'),
});
export type BatchIdParams = z.infer<typeof BatchIdParams>;

/** `DELETE /api/admin/devices/bulk/:batch_id/tokens`: the batch's unused tokens are revoked. */
export const BulkRevokeResponse = z.object({
  success: z.literal(true),
  data: z.object({
    batch_id: z.string(),
    /** Devices in the batch. */
    devices: z.number().int(),
    /** Tokens still outstanding until now, revoked by this call (0 when called again). */
    revoked: z.number().int(),
    /** Devices that registered with their token (left as they are). */
    registered: z.number().int(),
  }),
});
export type BulkRevokeResponse = z.infer<typeof BulkRevokeResponse>;

/** The bulk answer with `Accept: text/csv`: a header line of BULK_CSV_COLUMNS, then one line per device. */
export const BulkEnrollCsv = z
  .string()
  .describe('text/csv: device_key,token_code,token_expires_at (CRLF lines)');
