/**
 * The console's inventory, groups and bulk enrollment over the administered server's routes (contract:
 * src-shared/api/inventory.ts). Only a page of devices ever crosses to the UI; the CSV export is the server's
 * own (`Accept: text/csv` on the list route, same filter). Against a server from before the inventory, the
 * device list and its export are read from its whole-list answer (legacy-inventory.ts); the device page, groups
 * and bulk enrollment need the inventory.
 */
import { z } from 'zod';
import {
  BulkEnrollResponse,
  DeviceResponse,
  GroupListResponse,
  GroupResponse,
  HeartbeatHistoryResponse,
  MoveDevicesResponse,
  TimelineResponse,
  type BulkEnrollBody,
  type CreateGroupBody,
  type Group,
  type InventoryDeviceDetail,
  type UpdateGroupBody,
} from '../../../src-shared/api/inventory.js';
import type { InventoryQuery } from '../../../src-shared/ipc/channels.js';
import { AgentError } from '../errors.js';
import type { AdminHttp } from './admin-http.js';
import { filterLegacy, pageLegacy, parseDeviceList } from './legacy-inventory.js';

const enc = encodeURIComponent;

export function listQuery(q: InventoryQuery | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  return params.size ? `?${params}` : '';
}

const Done = z.object({ success: z.literal(true) });

/** Quotes a CSV field when it needs it (RFC 4180). */
const csvField = (v: string | number | null) => {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export class InventoryClient {
  constructor(private readonly http: AdminHttp) {}

  async list(q: InventoryQuery | undefined) {
    const path = `/api/admin/devices${listQuery(q)}`;
    const list = parseDeviceList(await this.http.json('GET', path), 'GET', path);
    return list.kind === 'inventory' ? list.body.data : pageLegacy(list.body, q ?? {});
  }

  async get(key: string): Promise<InventoryDeviceDetail> {
    return (await this.http.call(DeviceResponse, 'GET', `/api/admin/devices/${enc(key)}`)).data;
  }

  async timeline(key: string, page?: number) {
    const path = `/api/admin/devices/${enc(key)}/timeline${page ? `?page=${page}` : ''}`;
    const { data } = await this.http.call(TimelineResponse, 'GET', path);
    return { events: data.events, pagination: data.pagination };
  }

  async heartbeats(key: string) {
    const path = `/api/admin/devices/${enc(key)}/heartbeats`;
    return { buckets: (await this.http.call(HeartbeatHistoryResponse, 'GET', path)).data.buckets };
  }

  async update(key: string, patch: { note?: string | null; group?: number }): Promise<InventoryDeviceDetail> {
    const path = `/api/admin/devices/${enc(key)}`;
    return (await this.http.call(DeviceResponse, 'PUT', path, patch)).data;
  }

  /** The server's CSV of the filter (every page); rows counted without the header line. */
  async exportCsv(q: InventoryQuery | undefined): Promise<{ csv: string; rows: number }> {
    const path = `/api/admin/devices${listQuery(q)}`;
    const csv = await this.http.text(path, 'text/csv');
    if (!csv.trimStart().startsWith('{')) {
      const lines = csv.split(/\r?\n/).filter((l) => l.length > 0);
      return { csv, rows: Math.max(0, lines.length - 1) };
    }
    // An older server answers JSON whatever the Accept: write the same columns from its list.
    const list = parseDeviceList(JSON.parse(csv), 'GET', path);
    if (list.kind === 'inventory')
      throw new AgentError('UNEXPECTED_RESPONSE', 'The server did not answer CSV');
    const rows = filterLegacy(list.body, q ?? {});
    const head = [
      'device_key',
      'state',
      'group',
      'note',
      'ip_address',
      'mac',
      'hostname',
      'last_seen',
      'created_at',
    ];
    const body = rows.map((d) =>
      [
        d.device_key,
        d.state,
        d.group.name,
        d.note,
        d.ip_address,
        d.mac,
        d.hostname,
        d.last_seen,
        d.created_at,
      ]
        .map(csvField)
        .join(','),
    );
    return { csv: [head.join(','), ...body].join('\n') + '\n', rows: rows.length };
  }

  async groups(): Promise<{ groups: Group[] }> {
    return { groups: (await this.http.call(GroupListResponse, 'GET', '/api/admin/groups')).data.groups };
  }

  async createGroup(body: CreateGroupBody): Promise<Group> {
    return (await this.http.call(GroupResponse, 'POST', '/api/admin/groups', body)).data;
  }

  async updateGroup(id: number, body: UpdateGroupBody): Promise<Group> {
    return (await this.http.call(GroupResponse, 'PUT', `/api/admin/groups/${id}`, body)).data;
  }

  async deleteGroup(id: number): Promise<{ id: number }> {
    await this.http.call(Done, 'DELETE', `/api/admin/groups/${id}`);
    return { id };
  }

  /**
   * The batch, then (when a group was asked for) a move of exactly its devices into that group: a server whose
   * bulk route predates groups creates them in the default group, and the move is a no-op where it did not.
   */
  async bulk(body: BulkEnrollBody) {
    const data = (await this.http.call(BulkEnrollResponse, 'POST', '/api/admin/devices/bulk', body)).data;
    if (body.group !== undefined && data.devices.length > 0) {
      await this.http.call(MoveDevicesResponse, 'POST', '/api/admin/devices/move', {
        group: body.group,
        device_keys: data.devices.map((d) => d.device_key),
      });
    }
    return data;
  }
}
