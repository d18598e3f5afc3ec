/**
 * The admin console's HTTP side: main calls the administered server's admin routes with the credential the
 * console session holds (the embedded server's key, or an operator's sign-in, both from the SecretStore) and
 * hands the UI plain data shaped by the channel map. The credential never leaves main.
 */
import type {
  AdminClient as AdminClientRow,
  AdminDevice,
  AdminLicense,
  AdminStats,
  ChannelInput,
  DeviceToken,
} from '../../../src-shared/ipc/channels.js';
import {
  AdminRevokeResponse,
  AdminTokenResponse,
  type AdminDevice as ServerDevice,
} from '../../../src-shared/api/devices.js';
import {
  GenerateResponse,
  LicenseListResponse,
  LicenseResponse,
  type LicenseView,
} from '../../../src-shared/api/licenses.js';
import { ClientListResponse, ClientResponse, type Client } from '../../../src-shared/api/sync.js';
import type { z } from 'zod';
import { AgentError } from '../errors.js';
import { AdminHttp, type AdminEndpoint } from './admin-http.js';
import { parseDeviceList } from './legacy-inventory.js';
import { HeartbeatSampler } from './stats-sampler.js';

export type { AdminEndpoint } from './admin-http.js';

export class AdminClient {
  readonly sampler: HeartbeatSampler;
  /** Shared with the inventory client: one connection pool and one error mapping per console. */
  readonly http: AdminHttp;
  /**
   * Tokens this console issued, by device key, so the operator can copy them again until they are used. Memory
   * only (the server keeps a hash): a restart of the agent forgets them, and "New token" issues another.
   */
  private readonly issued = new Map<string, DeviceToken>();

  constructor(
    private readonly endpoint: () => Promise<AdminEndpoint | null>,
    timeoutMs = 10_000,
  ) {
    this.http = new AdminHttp(() => this.require(), timeoutMs);
    this.sampler = new HeartbeatSampler({
      fetchText: (path) => this.text(path),
      counts: () => this.deviceCounts(),
    });
  }

  /**
   * The first page (100) of devices in the console's old row shape. A server with the inventory answers pages;
   * an older one answers its whole list in the legacy shape: both are read.
   */
  async listDevices(): Promise<{ devices: AdminDevice[] }> {
    const path = '/api/admin/devices?limit=100&sort=created_at&order=asc';
    const list = parseDeviceList(await this.http.json('GET', path), 'GET', path);
    return {
      devices:
        list.kind === 'legacy' ? list.body.devices.map(toDevice) : list.body.data.devices.map(toDevice),
    };
  }

  /** Online and total devices: the inventory's totals (one row each), or an older server's own counts. */
  async deviceCounts(): Promise<{ online: number; total: number }> {
    const read = async (q: string) => parseDeviceList(await this.http.json('GET', q), 'GET', q);
    const all = await read('/api/admin/devices?limit=1');
    if (all.kind === 'legacy') return { online: all.body.online, total: all.body.count };
    const online = await read('/api/admin/devices?limit=1&state=online');
    const total = all.body.data.pagination.total;
    return { online: online.kind === 'inventory' ? online.body.data.pagination.total : 0, total };
  }

  async createDevice(input: ChannelInput<'admin.devices.create'>): Promise<DeviceToken> {
    return this.remember(
      toToken(await this.call(AdminTokenResponse, 'POST', '/api/admin/devices', input ?? {})),
    );
  }

  async newToken(deviceKey: string): Promise<DeviceToken> {
    return this.remember(
      toToken(
        await this.call(
          AdminTokenResponse,
          'POST',
          `/api/admin/devices/${encodeURIComponent(deviceKey)}/token`,
          {},
        ),
      ),
    );
  }

  async revokeDevice(deviceKey: string): Promise<{ device_key: string }> {
    const path = `/api/admin/devices/${encodeURIComponent(deviceKey)}`;
    const body = await this.call(AdminRevokeResponse, 'DELETE', path);
    this.issued.delete(deviceKey);
    return { device_key: body.device_key };
  }

  /**
   * The issued tokens the server still holds unused: a device whose outstanding token has the expiry we were
   * given still waits for exactly that token. Used, revoked, replaced (another console) or expired: dropped.
   */
  async outstandingTokens(): Promise<{ tokens: DeviceToken[] }> {
    if (this.issued.size === 0) return { tokens: [] };
    const { devices } = await this.listDevices();
    // Compared as instants: the two stores may spell the same time differently.
    const at = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);
    const live = new Map(devices.map((d) => [d.device_key, at(d.token_expires_at)]));
    for (const [key, t] of this.issued) {
      if (live.get(key) !== at(t.expires_at)) this.issued.delete(key);
    }
    return { tokens: [...this.issued.values()] };
  }

  private remember(token: DeviceToken): DeviceToken {
    if (token.device_key) this.issued.set(token.device_key, token);
    return token;
  }

  async listClients(): Promise<{ clients: AdminClientRow[] }> {
    const body = await this.call(ClientListResponse, 'GET', '/api/admin/clients');
    return { clients: body.data.map(toClient) };
  }

  async createClient(name: string, quota: number): Promise<AdminClientRow> {
    return toClient((await this.call(ClientResponse, 'POST', '/api/admin/clients', { name, quota })).data);
  }

  async topUpClient(id: number, add: number): Promise<AdminClientRow> {
    return toClient(
      (await this.call(ClientResponse, 'POST', `/api/admin/clients/${id}/top-up`, { add })).data,
    );
  }

  async reduceClient(id: number, by: number): Promise<AdminClientRow> {
    return toClient(
      (await this.call(ClientResponse, 'POST', `/api/admin/clients/${id}/reduce`, { by })).data,
    );
  }

  async renameClient(id: number, name: string): Promise<AdminClientRow> {
    return toClient((await this.call(ClientResponse, 'PATCH', `/api/admin/clients/${id}`, { name })).data);
  }

  async deleteClient(id: number): Promise<{ id: number }> {
    return { id: (await this.call(ClientResponse, 'DELETE', `/api/admin/clients/${id}`)).data.id };
  }

  async listLicenses(q: ChannelInput<'admin.licenses.list'>): Promise<{
    licenses: AdminLicense[];
    pagination: { page: number; limit: number; total: number; totalPages: number };
  }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
    const qs = params.size ? `?${params}` : '';
    const { data } = await this.call(LicenseListResponse, 'GET', `/api/licenses${qs}`);
    const { page, limit, total, totalPages } = data.pagination;
    return { licenses: data.licenses.map(toLicense), pagination: { page, limit, total, totalPages } };
  }

  async generateLicense(input: ChannelInput<'admin.licenses.generate'>): Promise<AdminLicense> {
    const { data } = await this.call(GenerateResponse, 'POST', '/api/licenses/generate', input);
    // A new license has no activation, expiry or user yet: the generate answer does not carry them.
    return toLicense({ ...data, activated_at: null, expires_at: null, users: null });
  }

  async revokeLicense(id: string): Promise<AdminLicense> {
    const path = `/api/licenses/${encodeURIComponent(id)}`;
    return toLicense((await this.call(LicenseResponse, 'PUT', path, { status: 'revoked' })).data);
  }

  async stats(): Promise<AdminStats> {
    return this.sampler.snapshot();
  }

  private async require(): Promise<AdminEndpoint> {
    const ep = await this.endpoint();
    if (!ep) {
      throw new AgentError(
        'ADMIN_UNAVAILABLE',
        'The server admin needs the embedded server: turn it on in Settings → Embedded server',
      );
    }
    return ep;
  }

  private call<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown) {
    return this.http.call(schema, method, path, body);
  }

  private text(path: string): Promise<string> {
    return this.http.text(path);
  }
}

function toDevice(d: ServerDevice): AdminDevice {
  return {
    device_key: d.device_key,
    note: d.note,
    online: d.online,
    registered: d.status === 'registered',
    revoked: d.status === 'revoked' || d.revoked_at !== null,
    last_seen: d.last_seen,
    created_at: d.created_at,
    ip_address: d.ip_address,
    token_expires_at: d.token_expires_at,
  };
}

function toToken(t: AdminTokenResponse): DeviceToken {
  return { device_key: t.device_key, token_code: t.token_code, expires_at: t.token_expires_at };
}

function toClient(c: Client): AdminClientRow {
  return { id: c.id, name: c.name, quota: c.total, remaining: c.remaining, created_at: c.created_at };
}

type LicenseFields = Pick<
  LicenseView,
  | 'id'
  | 'license_key'
  | 'status'
  | 'duration_days'
  | 'max_machines'
  | 'description'
  | 'activated_at'
  | 'expires_at'
  | 'created_at'
  | 'users'
>;

function toLicense(l: LicenseFields): AdminLicense {
  return {
    id: l.id,
    license_key: l.license_key,
    status: l.status,
    duration_days: l.duration_days,
    max_machines: l.max_machines,
    description: l.description,
    activated_at: l.activated_at,
    expires_at: l.expires_at,
    created_at: l.created_at,
    user_email: l.users?.email ?? null,
  };
}
