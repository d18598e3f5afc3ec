/**
 * The admin console's HTTP side: main calls the embedded server's admin routes with the admin API key it holds
 * (from the SecretStore) and hands the UI plain data shaped by the channel map. The key never leaves this
 * module; server error envelopes become AgentErrors with the server's code and message.
 */
import type {
  AdminClient as AdminClientRow,
  AdminDevice,
  AdminLicense,
  AdminStats,
  ChannelInput,
  DeviceToken,
} from '../../../src-shared/ipc/channels.js';
import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import { AgentError, relayedCode } from '../errors.js';
import { USER_AGENT } from '../http/client.js';
import { HeartbeatSampler } from './stats-sampler.js';

export interface AdminEndpoint {
  url: string;
  apiKey: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);

export class AdminClient {
  readonly sampler: HeartbeatSampler;
  private readonly http: AxiosInstance;
  /**
   * Tokens this console issued, by device key, so the operator can copy them again until they are used. Memory
   * only (the server keeps a hash): a restart of the agent forgets them, and "New token" issues another.
   */
  private readonly issued = new Map<string, DeviceToken>();

  constructor(
    private readonly endpoint: () => Promise<AdminEndpoint | null>,
    timeoutMs = 10_000,
  ) {
    // Loopback only: no proxy from the environment, keep-alive to the one server, raw text (parsed above).
    this.http = axios.create({
      timeout: timeoutMs,
      proxy: false,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 4 }),
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      headers: { 'User-Agent': USER_AGENT },
    });
    this.sampler = new HeartbeatSampler({
      fetchText: (path) => this.text(path),
      devices: () => this.listDevices(),
    });
  }

  async listDevices(): Promise<{ devices: AdminDevice[] }> {
    const body = obj(await this.call('GET', '/api/admin/devices'));
    const rows = Array.isArray(body.devices) ? body.devices : [];
    return { devices: rows.map(toDevice) };
  }

  async createDevice(input: ChannelInput<'admin.devices.create'>): Promise<DeviceToken> {
    return this.remember(toToken(await this.call('POST', '/api/admin/devices', input ?? {})));
  }

  async newToken(deviceKey: string): Promise<DeviceToken> {
    return this.remember(
      toToken(await this.call('POST', `/api/admin/devices/${encodeURIComponent(deviceKey)}/token`, {})),
    );
  }

  async revokeDevice(deviceKey: string): Promise<{ device_key: string }> {
    const body = obj(await this.call('DELETE', `/api/admin/devices/${encodeURIComponent(deviceKey)}`));
    this.issued.delete(deviceKey);
    return { device_key: str(body.device_key) ?? deviceKey };
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
    const data = obj(await this.call('GET', '/api/admin/clients')).data;
    return { clients: (Array.isArray(data) ? data : []).map(toClient) };
  }

  async createClient(name: string, quota: number): Promise<AdminClientRow> {
    return toClient(obj(await this.call('POST', '/api/admin/clients', { name, quota })).data);
  }

  async topUpClient(id: number, add: number): Promise<AdminClientRow> {
    return toClient(obj(await this.call('POST', `/api/admin/clients/${id}/top-up`, { add })).data);
  }

  async reduceClient(id: number, by: number): Promise<AdminClientRow> {
    return toClient(obj(await this.call('POST', `/api/admin/clients/${id}/reduce`, { by })).data);
  }

  async renameClient(id: number, name: string): Promise<AdminClientRow> {
    return toClient(obj(await this.call('PATCH', `/api/admin/clients/${id}`, { name })).data);
  }

  async deleteClient(id: number): Promise<{ id: number }> {
    return { id: toClient(obj(await this.call('DELETE', `/api/admin/clients/${id}`)).data).id };
  }

  async listLicenses(q: ChannelInput<'admin.licenses.list'>): Promise<{
    licenses: AdminLicense[];
    pagination: { page: number; limit: number; total: number; totalPages: number };
  }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
    const qs = params.size ? `?${params}` : '';
    const data = obj(obj(await this.call('GET', `/api/licenses${qs}`)).data);
    const p = obj(data.pagination);
    return {
      licenses: (Array.isArray(data.licenses) ? data.licenses : []).map(toLicense),
      pagination: {
        page: int(p.page),
        limit: int(p.limit),
        total: int(p.total),
        totalPages: int(p.totalPages),
      },
    };
  }

  async generateLicense(input: ChannelInput<'admin.licenses.generate'>): Promise<AdminLicense> {
    return toLicense(obj(await this.call('POST', '/api/licenses/generate', input)).data);
  }

  async revokeLicense(id: string): Promise<AdminLicense> {
    const path = `/api/licenses/${encodeURIComponent(id)}`;
    return toLicense(obj(await this.call('PUT', path, { status: 'revoked' })).data);
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

  /**
   * One request to the embedded server; any HTTP status resolves (the caller maps it). Through axios like the
   * rest of the agent, not the global fetch: fetch would load Node's undici (~13 MB of RSS) into an
   * agent that otherwise never needs it.
   */
  private async request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string }> {
    const ep = await this.require();
    try {
      const res = await this.http.request<string>({
        method,
        url: `${ep.url}${path}`,
        headers: {
          'x-api-key': ep.apiKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        data: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, text: typeof res.data === 'string' ? res.data : '' };
    } catch {
      throw new AgentError(
        'NETWORK_ERROR',
        'The embedded server did not answer: check Settings → Embedded server',
      );
    }
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.request(method, path, body);
    let json: unknown = null;
    try {
      json = JSON.parse(res.text);
    } catch {
      // non-JSON answer: handled below
    }
    if (res.status < 200 || res.status >= 300) {
      const e = obj(json);
      const code = str(e.code) ?? (res.status === 404 ? 'NOT_FOUND' : 'SERVER_ERROR');
      const message = str(e.error) ?? str(e.message) ?? `Server answered HTTP ${res.status}`;
      throw new AgentError(relayedCode(code), message);
    }
    return json;
  }

  private async text(path: string): Promise<string> {
    const res = await this.request('GET', path);
    if (res.status < 200 || res.status >= 300) {
      throw new AgentError('SERVER_ERROR', `Server answered HTTP ${res.status}`);
    }
    return res.text;
  }
}

function toDevice(raw: unknown): AdminDevice {
  const d = obj(raw);
  return {
    device_key: str(d.device_key) ?? '',
    note: str(d.note),
    online: d.online === true,
    registered: d.status === 'registered' || d.registered === true,
    revoked: d.status === 'revoked' || typeof d.revoked_at === 'string',
    last_seen: str(d.last_seen),
    created_at: str(d.created_at),
    ip_address: str(d.ip_address),
    token_expires_at: str(d.token_expires_at),
  };
}

function toToken(raw: unknown): DeviceToken {
  const t = obj(raw);
  const token = str(t.token_code);
  if (!token) throw new AgentError('UNEXPECTED_RESPONSE', 'The server did not return a registration token');
  return {
    device_key: str(t.device_key) ?? '',
    token_code: token,
    expires_at: str(t.token_expires_at) ?? str(t.expires_at),
  };
}

function toClient(raw: unknown): AdminClientRow {
  const c = obj(raw);
  return {
    id: int(c.id),
    name: str(c.name) ?? '',
    quota: int(c.total ?? c.quota),
    remaining: int(c.remaining),
    created_at: str(c.created_at),
  };
}

function toLicense(raw: unknown): AdminLicense {
  const l = obj(raw);
  const users = obj(l.users);
  return {
    id: str(l.id) ?? '',
    license_key: str(l.license_key) ?? '',
    status: str(l.status) ?? 'generated',
    duration_days: int(l.duration_days),
    max_machines: typeof l.max_machines === 'number' ? int(l.max_machines) : null,
    description: str(l.description),
    activated_at: str(l.activated_at),
    expires_at: str(l.expires_at),
    created_at: str(l.created_at),
    user_email: str(users.email) ?? str(l.user_email),
  };
}
