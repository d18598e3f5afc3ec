/**
 * A server from before the inventory answers `GET /api/admin/devices` with its whole list (`{ok, devices}`),
 * without paging, states or groups. The console still administers it: this module reads either shape and, for
 * the old one, filters, sorts and pages the list in main the way the inventory route does on the server. Such a
 * server has no groups; its devices show in one "default" group (id 1), which is what an upgraded server
 * migrates them to.
 */
import { AdminDeviceList, type AdminDevice } from '../../../src-shared/api/devices.js';
import {
  DeviceListResponse,
  type DeviceState,
  type InventoryDevice,
} from '../../../src-shared/api/inventory.js';
import type { InventoryQuery } from '../../../src-shared/ipc/channels.js';
import { unexpected } from './admin-http.js';

export type DeviceList =
  { kind: 'inventory'; body: DeviceListResponse } | { kind: 'legacy'; body: AdminDeviceList };

export function parseDeviceList(json: unknown, method: string, path: string): DeviceList {
  const inv = DeviceListResponse.safeParse(json);
  if (inv.success) return { kind: 'inventory', body: inv.data };
  const old = AdminDeviceList.safeParse(json);
  if (old.success) return { kind: 'legacy', body: old.data };
  // Name the mismatch of the shape the answer claims to be (the legacy one says `ok`).
  const legacy = typeof json === 'object' && json !== null && 'ok' in json;
  throw unexpected(method, path, json, legacy ? old.error : inv.error);
}

export const LEGACY_GROUP = { id: 1, name: 'default' } as const;

function stateOf(d: AdminDevice): DeviceState {
  if (d.status === 'revoked' || d.revoked_at !== null) return 'revoked';
  if (d.status !== 'registered') return 'never';
  return d.online ? 'online' : 'offline';
}

export function toInventoryDevice(d: AdminDevice): InventoryDevice {
  return { ...d, state: stateOf(d), group: { ...LEGACY_GROUP }, hostname: null };
}

const text = (d: InventoryDevice) =>
  [d.device_key, d.note, d.ip_address, d.ip_lan, d.ip_public, d.mac, d.hostname]
    .filter((v): v is string => typeof v === 'string')
    .join('\n')
    .toLowerCase();

/** The matching devices, sorted as the server would (nulls last), not yet paged. */
export function filterLegacy(list: AdminDeviceList, q: InventoryQuery): InventoryDevice[] {
  const needle = q.search?.trim().toLowerCase();
  const rows = list.devices
    .map(toInventoryDevice)
    .filter((d) => (q.state ? d.state === q.state : true))
    .filter((d) => (q.group ? d.group.id === q.group : true))
    .filter((d) => (needle ? text(d).includes(needle) : true));
  const sort = q.sort ?? 'last_seen';
  const dir = (q.order ?? 'desc') === 'asc' ? 1 : -1;
  const key = (d: InventoryDevice) =>
    sort === 'device_key' ? d.device_key : sort === 'created_at' ? d.created_at : d.last_seen;
  return rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === y) return a.device_key < b.device_key ? -1 : 1;
    if (x === null) return 1;
    if (y === null) return -1;
    return x < y ? -dir : dir;
  });
}

export function pageLegacy(list: AdminDeviceList, q: InventoryQuery) {
  const rows = filterLegacy(list, q);
  const limit = q.limit ?? 50;
  const page = q.page ?? 1;
  return {
    devices: rows.slice((page - 1) * limit, page * limit),
    pagination: { page, limit, total: rows.length, totalPages: Math.max(1, Math.ceil(rows.length / limit)) },
  };
}
