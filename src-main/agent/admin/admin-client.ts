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
import {
  AdminDeviceList,
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
import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { AgentError, relayedCode } from '../errors.js';
import { USER_AGENT } from '../http/client.js';
import { HeartbeatSampler } from './stats-sampler.js';

export interface AdminEndpoint {
  url: string;
  apiKey: string;
}

/** The one bit of the error envelope (seed 002 / seed 004) the agent relays: its code and message. */
const ErrorEnvelope = z.object({
  code: z.string().optional(),
  error: z.string().optional(),
  message: z.string().optional(),
});

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
    const body = await this.call(AdminDeviceList, 'GET', '/api/admin/devices');
    return { devices: body.devices.map(toDevice) };
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

  /**
   * One admin call, its answer parsed with the schema the server's route answers with: a success of another
   * shape (an older or foreign server) is UNEXPECTED_RESPONSE naming the route and the first mismatch, never a
   * row of defaulted values.
   */
  private async call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.output<S>> {
    const res = await this.request(method, path, body);
    let json: unknown = undefined;
    try {
      json = JSON.parse(res.text);
    } catch {
      // non-JSON answer: handled below
    }
    if (res.status < 200 || res.status >= 300) {
      const e = ErrorEnvelope.safeParse(json);
      const env = e.success ? e.data : {};
      const code = env.code ?? (res.status === 404 ? 'NOT_FOUND' : 'SERVER_ERROR');
      const message = env.error ?? env.message ?? `Server answered HTTP ${res.status}`;
      throw new AgentError(relayedCode(code), message);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const what =
        json === undefined
          ? 'not JSON'
          : `${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'wrong shape'}`;
      throw new AgentError(
        'UNEXPECTED_RESPONSE',
        `The embedded server's answer to ${method} ${path.split('?')[0]} is not what this agent expects (${what}): check that the server and the agent are the same version`,
      );
    }
    return parsed.data;
  }

  private async text(path: string): Promise<string> {
    const res = await this.request('GET', path);
    if (res.status < 200 || res.status >= 300) {
      throw new AgentError('SERVER_ERROR', `Server answered HTTP ${res.status}`);
    }
    return res.text;
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
