import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthSession, type AuthState, type SessionUser } from '../auth/session.js';
import { AgentError, describeError } from '../errors.js';
import type { AgentEvents } from '../events.js';
import { createLogger } from '../logging/logger.js';
import { RealtimeClient } from '../realtime/ws-client.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { clockFilePath, ServerClock } from '../time/server-clock.js';
import { startNfcEndpoint, type NfcEndpoint } from './nfc-endpoint.js';
import { StationApi } from './station-api.js';
import {
  checkpoint,
  getMeta,
  isStorageFull,
  openStation,
  setMeta,
  STORAGE_FULL_MESSAGE,
  type StationDb,
} from './station-db.js';
import { StationStore, type QueueSummary, type QuotaRow, type RecordedCopy } from './station-store.js';
import { SyncEngine, throwIfFailed, type SyncReport } from './sync-engine.js';

const log = createLogger('station');

export interface StationServiceOptions {
  dataDir: string;
  secrets: SecretStore;
  events?: AgentEvents;
  /** The active profile's base URL, read at each use (the operator may switch profiles). */
  serverUrl: () => string;
  timeoutMs?: number;
  verifyTls?: boolean;
  batchSize?: number;
  /** Connectivity check while offline (seed 001: 30 s). */
  healthIntervalMs?: number;
  /** Background sync while online (60 s). */
  syncIntervalMs?: number;
  /** Keep the /ws socket (default true). */
  realtime?: boolean;
  wsBackoff?: { baseMs?: number; capMs?: number };
  wsPingIntervalMs?: number;
  /** Loopback NFC endpoint port (0 = ephemeral); undefined = endpoint off. */
  nfcPort?: number;
  /** The server's time as the agent knows it (shared with the license); default: clock.json in the data dir. */
  clock?: ServerClock;
}

export interface StationStatus {
  device_id: string;
  server_url: string;
  online: boolean;
  realtime_connected: boolean;
  auth: AuthState;
  logged_in: boolean;
  login_needed: boolean;
  user: SessionUser | null;
  syncing: boolean;
  last_sync: SyncReport | null;
  pending: number;
  failed: number;
  nfc_port: number | null;
}

/**
 * The offline copy station (seed 001, fixed): copies are recorded locally and durably without the network, a
 * sync engine drains them exactly once, and the realtime socket and timers decide when to sync.
 */
export class StationService {
  readonly deviceId: string;
  private readonly db: StationDb;
  private readonly store: StationStore;
  private readonly auth: AuthSession;
  private readonly engine: SyncEngine;
  private readonly realtime: RealtimeClient | null;
  private readonly clock: ServerClock;
  private apiCache: { url: string; api: StationApi } | null = null;
  private online = false;
  private timers: NodeJS.Timeout[] = [];
  private nfc: NfcEndpoint | null = null;
  private started = false;
  private resyncAfterRun = false;

  constructor(private readonly opts: StationServiceOptions) {
    this.clock = opts.clock ?? new ServerClock({ file: clockFilePath(opts.dataDir) });
    const { db, deviceId } = openStation(opts.dataDir);
    this.db = db;
    this.store = new StationStore(this.db);
    this.deviceId = deviceId;
    this.auth = new AuthSession({
      secrets: opts.secrets,
      api: () => this.api(),
      deviceId: this.deviceId,
      clock: this.clock,
      user: {
        get: () => parseUser(getMeta(this.db, 'user')),
        set: (u) => setMeta(this.db, 'user', u ? JSON.stringify(u) : null),
      },
      onChange: () => this.emitStatus(),
    });
    this.engine = new SyncEngine({
      store: this.store,
      api: () => this.api(),
      deviceId: this.deviceId,
      token: () => this.auth.currentToken(),
      onAuthRejected: (reason) => this.auth.loginNeeded(reason),
      onReachable: (ok) => this.setOnline(ok),
      onProgress: (p) => this.opts.events?.emit({ type: 'station.sync-progress', data: p }),
      batchSize: opts.batchSize,
    });
    this.realtime =
      opts.realtime === false
        ? null
        : new RealtimeClient({
            url: () => this.wsUrl(),
            onMessage: (m) => this.onRealtime(m.event, m.data),
            onState: (connected) => {
              if (connected) this.setOnline(true);
              this.emitStatus();
            },
            onAuthRejected: () => this.auth.loginNeeded('realtime upgrade refused'),
            backoff: opts.wsBackoff,
            pingIntervalMs: opts.wsPingIntervalMs,
          });
  }

  /** Starts the timers, the socket and (when configured) the NFC endpoint. recordCopy works without start(). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.auth.load();
    this.realtime?.start();
    const every = (ms: number, fn: () => Promise<void>): void => {
      const t = setInterval(() => {
        fn().catch((err: unknown) => log.warn({ err: describeError(err) }, 'timer task failed'));
      }, ms);
      t.unref?.();
      this.timers.push(t);
    };
    every(this.opts.healthIntervalMs ?? 30_000, () => this.checkConnectivity());
    every(this.opts.syncIntervalMs ?? 60_000, async () => {
      if (this.online) await this.engine.sync();
    });
    // Background WAL checkpoints, so recordCopy commits rarely pay for one (see openStationDb).
    every(5_000, async () => checkpoint(this.db));
    if (this.opts.nfcPort !== undefined) {
      try {
        this.nfc = await startNfcEndpoint({
          dataDir: this.opts.dataDir,
          port: this.opts.nfcPort,
          recordCopy: (c, u) => this.recordCopy(c, u),
        });
        writeFileSync(
          join(this.opts.dataDir, 'nfc-endpoint.json'),
          JSON.stringify({ port: this.nfc.port }) + '\n',
          { mode: 0o600 },
        );
      } catch (err) {
        log.error({ err: describeError(err), port: this.opts.nfcPort }, 'NFC endpoint could not start');
      }
    }
    void this.checkConnectivity().catch(() => undefined);
  }

  /** Reads the stored login (so status() tells logged in / out) without starting timers or sockets. */
  async ready(): Promise<void> {
    await this.auth.load();
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.realtime?.stop();
    await this.nfc?.close();
    this.nfc = null;
    // Let a running sync finish its local transaction before the file closes.
    if (this.engine.isRunning) await this.engine.sync();
    if (this.db.open) this.db.close();
  }

  async login(username: string, password: string): Promise<{ user: SessionUser }> {
    const user = await this.auth.login(username, password);
    this.realtime?.kick();
    this.fireSync('login');
    return { user };
  }

  async logout(): Promise<void> {
    await this.auth.logout();
    this.realtime?.stop();
    if (this.started) this.realtime?.start();
  }

  /** Local, durable, network-free: returns after the copy is committed to station.db. */
  recordCopy(clientId: unknown, uid: unknown): RecordedCopy {
    let copy: RecordedCopy;
    try {
      copy = this.store.recordCopy(clientId, uid);
    } catch (err) {
      if (!isStorageFull(err, this.opts.dataDir)) throw err;
      // The transaction rolled back: no quota was taken and nothing was queued, so the reader may simply retry.
      log.error({ err: describeError(err) }, 'copy refused: disk full');
      throw new AgentError('STORAGE_FULL', STORAGE_FULL_MESSAGE);
    }
    this.opts.events?.emit({
      type: 'station.status',
      data: { copy_recorded: { client_id: copy.client_id, remaining: copy.remaining } },
    });
    return copy;
  }

  /** Syncs now (joining a running sync); throws AgentError when the sync could not finish. */
  async syncNow(): Promise<SyncReport> {
    const report = await this.engine.sync();
    this.afterSync();
    return throwIfFailed(report);
  }

  private afterSync(): void {
    if (!this.db.open) return;
    checkpoint(this.db);
    this.emitStatus();
    if (this.resyncAfterRun && !this.engine.isRunning) {
      this.resyncAfterRun = false;
      this.fireSync('quota_updated during a sync');
    }
  }

  queue(): QueueSummary {
    return this.store.queue();
  }

  quotas(): QuotaRow[] {
    return this.store.quotas();
  }

  retry(uuid: string): { uuid: string } {
    if (typeof uuid !== 'string' || !uuid) throw new AgentError('VALIDATION_ERROR', 'uuid is required');
    const r = this.store.retry(uuid);
    this.fireSync('retry');
    return r;
  }

  dismiss(uuid: string): void {
    if (typeof uuid !== 'string' || !uuid) throw new AgentError('VALIDATION_ERROR', 'uuid is required');
    this.store.dismiss(uuid);
    this.emitStatus();
  }

  status(): StationStatus {
    const q = this.store.queue(0);
    return {
      device_id: this.deviceId,
      server_url: this.safeUrl(),
      online: this.online,
      realtime_connected: this.realtime?.connected ?? false,
      auth: this.auth.state,
      logged_in: this.auth.state === 'logged_in',
      login_needed: this.auth.state === 'login_needed',
      user: this.auth.user,
      syncing: this.engine.isRunning,
      last_sync: this.engine.last,
      pending: q.pending,
      failed: q.failed,
      nfc_port: this.nfc?.port ?? null,
    };
  }

  private api(): StationApi {
    const url = this.opts.serverUrl();
    if (this.apiCache?.url !== url) {
      this.apiCache = {
        url,
        api: new StationApi({
          baseUrl: url,
          timeoutMs: this.opts.timeoutMs,
          verifyTls: this.opts.verifyTls,
          clock: this.clock,
        }),
      };
    }
    return this.apiCache.api;
  }

  private async wsUrl(): Promise<string | null> {
    const token = await this.auth.currentToken();
    if (!token) return null;
    const u = new URL('/ws', this.opts.serverUrl());
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('token', token);
    u.searchParams.set('device_id', this.deviceId);
    return u.toString();
  }

  private onRealtime(event: string, data: unknown): void {
    this.opts.events?.emit({ type: 'realtime', data: { event, data } });
    if (event === 'quota_updated') {
      if (this.engine.isRunning) {
        // Our own push makes the server announce every batch; the running sync ends with a full pull anyway.
        // One more sync afterwards covers a change announced after that pull was answered.
        this.resyncAfterRun = true;
        return;
      }
      const d = data as { client_id?: unknown; remaining?: unknown; name?: unknown; total?: unknown } | null;
      if (d && typeof d.client_id === 'number' && typeof d.remaining === 'number') {
        // Apply at once (the UI shows it live); the sync that follows reconciles with a full pull.
        this.store.applyServerQuotas([
          {
            client_id: d.client_id,
            remaining: d.remaining,
            ...(typeof d.name === 'string' ? { name: d.name } : {}),
            ...(typeof d.total === 'number' ? { total: d.total } : {}),
          },
        ]);
      }
      this.fireSync('quota_updated');
    }
  }

  private async checkConnectivity(): Promise<void> {
    const ok = this.realtime?.connected || (await this.api().health());
    this.setOnline(ok);
  }

  private setOnline(ok: boolean): void {
    if (ok === this.online) return;
    this.online = ok;
    log.info({ online: ok }, ok ? 'server reachable' : 'server unreachable; queueing locally');
    this.emitStatus();
    if (ok) this.fireSync('connectivity restored');
  }

  private fireSync(reason: string): void {
    if (!this.started) return;
    this.engine
      .sync()
      .then((r) => {
        if (r.error) log.info({ reason, code: r.error.code }, 'background sync stopped early');
        this.afterSync();
      })
      .catch((err: unknown) => log.warn({ err: describeError(err), reason }, 'background sync failed'));
  }

  private emitStatus(): void {
    try {
      if (this.db.open) this.opts.events?.emit({ type: 'station.status', data: this.status() });
    } catch (err) {
      log.debug({ err: describeError(err) }, 'status emit failed');
    }
  }

  private safeUrl(): string {
    try {
      return this.opts.serverUrl();
    } catch {
      return '';
    }
  }
}

function parseUser(raw: string | null): SessionUser | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as SessionUser;
  } catch {
    return null;
  }
}
