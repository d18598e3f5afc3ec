import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { ServerClock } from '../time/server-clock.js';
import type { OpResult, PendingOp, ServerQuota } from './station-store.js';

/** Why a call to the server did not give a usable answer; the sync loop decides what each means. */
export class StationApiError extends Error {
  constructor(
    readonly kind: 'network' | 'auth' | 'server',
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface StationApiOptions {
  baseUrl: string;
  /** Per-request timeout; a black-holed request must not stall the queue. */
  timeoutMs?: number;
  verifyTls?: boolean;
  /** Sees the server's `Date` header of every answer and the pull's `server_time` (the server clock measures them). */
  clock?: ServerClock;
}

export interface LoginAnswer {
  token: string;
  expires_at?: string;
  user: { id: number; username: string; role: string; name?: string | null };
}

/**
 * The station's few server calls (seed 001). Plain axios with keep-alive agents and no automatic retries: every
 * retry decision belongs to the sync loop, which can make it safely because each op carries its uuid.
 */
export class StationApi {
  private readonly http: AxiosInstance;

  constructor(readonly opts: StationApiOptions) {
    this.http = axios.create({
      baseURL: opts.baseUrl.replace(/\/+$/, ''),
      timeout: opts.timeoutMs ?? 15_000,
      validateStatus: () => true,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 4 }),
      httpsAgent: new https.Agent({
        keepAlive: true,
        maxSockets: 4,
        rejectUnauthorized: opts.verifyTls ?? true,
      }),
      // Bodies are small JSON; refuse to buffer anything absurd from a misbehaving server.
      maxContentLength: 64 * 1024 * 1024,
      transitional: { silentJSONParsing: true, forcedJSONParsing: true, clarifyTimeoutError: true },
    });
  }

  async login(username: string, password: string, deviceId: string): Promise<LoginAnswer> {
    const res = await this.call(() =>
      this.http.post('/api/auth/login', { username, password, device_id: deviceId }),
    );
    return tokenAnswer(res);
  }

  async refresh(token: string): Promise<LoginAnswer> {
    const res = await this.call(() => this.http.post('/api/auth/refresh', {}, bearer(token)));
    return tokenAnswer(res);
  }

  /** Pushes one batch; `data` is the server's per-op results, in order. */
  async push(token: string, deviceId: string, batch: readonly PendingOp[]): Promise<OpResult[]> {
    // The ops' JSON is prebuilt by the store: joining strings beats building and re-serialising 500 objects.
    const body = `{"device_id":${JSON.stringify(deviceId)},"queue":[${batch.map((op) => op.body).join(',')}]}`;
    const res = await this.call(() =>
      this.http.post('/api/sync/push', body, {
        headers: { ...bearer(token).headers, 'content-type': 'application/json' },
        // Sent as built: axios' default transform would JSON.parse our own 60 KB body just to check it.
        transformRequest: (data: string) => data,
      }),
    );
    const data = (res.data as { data?: unknown })?.data;
    if (!Array.isArray(data))
      throw new StationApiError('server', 'push answer has no data array', res.status);
    return data as OpResult[];
  }

  async pull(token: string): Promise<{ quotas: ServerQuota[]; server_time?: string }> {
    const res = await this.call(() => this.http.get('/api/sync/pull', bearer(token)));
    const body = res.data as { quotas?: unknown; server_time?: string };
    this.opts.clock?.observeIso(body?.server_time);
    if (!Array.isArray(body?.quotas))
      throw new StationApiError('server', 'pull answer has no quotas', res.status);
    return { quotas: body.quotas as ServerQuota[], server_time: body.server_time };
  }

  /** True when the server answers its health check at all (any 2xx). */
  async health(): Promise<boolean> {
    try {
      const res = await this.http.get('/health', { timeout: 5_000 });
      return res.status >= 200 && res.status < 300;
    } catch {
      return false;
    }
  }

  private async call(fn: () => Promise<AxiosResponse>): Promise<AxiosResponse> {
    let res: AxiosResponse;
    try {
      res = await fn();
      this.opts.clock?.observeDateHeader(res.headers.date);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new StationApiError('network', `server unreachable (${e.code ?? e.message ?? 'network error'})`);
    }
    if (res.status >= 200 && res.status < 300) return res;
    const body = (res.data ?? {}) as { code?: string; error?: string; message?: string };
    const msg = body.error ?? body.message ?? `HTTP ${res.status}`;
    if (res.status === 401) throw new StationApiError('auth', msg, 401, body.code);
    throw new StationApiError('server', msg, res.status, body.code);
  }
}

function bearer(token: string): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${token}` } };
}

function tokenAnswer(res: AxiosResponse): LoginAnswer {
  const body = res.data as Partial<LoginAnswer>;
  if (typeof body?.token !== 'string' || !body.user) {
    throw new StationApiError('server', 'login answer has no token', res.status);
  }
  return body as LoginAnswer;
}
