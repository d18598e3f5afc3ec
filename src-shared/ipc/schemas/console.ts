import { z } from 'zod';
import {
  BulkEnrollBody,
  BulkEnrolledDevice,
  CreateGroupBody,
  DeviceSort,
  DeviceState,
  Group,
  InventoryDevice,
  InventoryDeviceDetail,
  TimelineEvent,
  UpdateGroupBody,
} from '../../api/inventory.js';
import { DeviceKey, NoInput, NullableTimestamp } from './common.js';
import { Pagination } from './admin.js';

/**
 * The operator's console for any server: who the console acts as on the server the active profile points at
 * (the embedded server's own key, or an operator's sign-in kept in the OS keyring by main), the device
 * inventory, groups and bulk enrollment. The credential never crosses this boundary: the UI sees a name and
 * a role, never a JWT or a key.
 */
export const ConsoleSession = z.object({
  /** The server the active profile points at (the one the console administers). */
  server_url: z.string().nullable(),
  /** `embedded`: this machine's own server, administered with the key main holds (no sign-in). */
  state: z.enum(['embedded', 'signed_in', 'signed_out', 'expired']),
  kind: z.enum(['embedded', 'user', 'api_key']).nullable(),
  /** Username, or a label for a pasted key. */
  name: z.string().nullable(),
  /** The server's role for the credential (admin, operator, viewer, station); null when it cannot tell. */
  role: z.string().nullable(),
  expires_at: NullableTimestamp,
});
export type ConsoleSession = z.infer<typeof ConsoleSession>;

const SignIn = z.union([
  z.strictObject({ username: z.string().trim().min(1).max(128), password: z.string().min(1).max(1024) }),
  z.strictObject({ api_key: z.string().trim().min(8).max(512) }),
]);

/** The list filter as the console (and its URL) holds it; page size at most 100, like the server's. */
export const InventoryQuery = z.strictObject({
  search: z.string().max(200).optional(),
  state: DeviceState.optional(),
  group: z.number().int().positive().optional(),
  sort: DeviceSort.optional(),
  order: z.enum(['asc', 'desc']).optional(),
  page: z.number().int().min(1).max(1_000_000).optional(),
  limit: z.number().int().min(1).max(100).optional(),
});
export type InventoryQuery = z.infer<typeof InventoryQuery>;

const KeyInput = z.strictObject({ device_key: DeviceKey });
const GroupId = z.strictObject({ id: z.number().int().positive() });

export const consoleChannels = {
  'admin.session.status': { input: NoInput, output: ConsoleSession },
  'admin.session.signIn': { input: SignIn, output: ConsoleSession },
  'admin.session.signOut': { input: NoInput, output: ConsoleSession },
  'admin.inventory.list': {
    input: InventoryQuery.optional(),
    output: z.object({ devices: z.array(InventoryDevice), pagination: Pagination }),
  },
  'admin.inventory.get': { input: KeyInput, output: InventoryDeviceDetail },
  'admin.inventory.timeline': {
    input: z.strictObject({ device_key: DeviceKey, page: z.number().int().min(1).optional() }),
    output: z.object({ events: z.array(TimelineEvent), pagination: Pagination }),
  },
  'admin.inventory.heartbeats': {
    input: KeyInput,
    output: z.object({ buckets: z.array(z.object({ hour: z.string(), count: z.number().int() })) }),
  },
  'admin.inventory.update': {
    input: z.strictObject({
      device_key: DeviceKey,
      note: z.string().max(500).nullable().optional(),
      group: z.number().int().positive().optional(),
    }),
    output: InventoryDeviceDetail,
  },
  /** The CSV of every device matching the filter (paging ignored), as the server writes it. */
  'admin.inventory.exportCsv': {
    input: InventoryQuery.omit({ page: true, limit: true }).optional(),
    output: z.object({ csv: z.string(), rows: z.number().int() }),
  },
  'admin.groups.list': { input: NoInput, output: z.object({ groups: z.array(Group) }) },
  'admin.groups.create': { input: CreateGroupBody, output: Group },
  'admin.groups.update': {
    input: UpdateGroupBody.extend({ id: z.number().int().positive() }),
    output: Group,
  },
  /** The group's devices move to the default group (the console confirms first). */
  'admin.groups.delete': { input: GroupId, output: z.object({ id: z.number().int() }) },
  /** Tokens come back once, for the CSV download; main does not keep them. */
  'admin.devices.bulk': {
    input: BulkEnrollBody,
    output: z.object({ batch_id: z.string(), devices: z.array(BulkEnrolledDevice) }),
  },
} as const;
