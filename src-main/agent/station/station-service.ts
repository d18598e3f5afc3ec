import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CopyReceipt,
  QueueSnapshot,
  Quota,
  StationStatus,
  SyncResult,
} from '../../../src-shared/ipc/schemas/station.js';
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
import { StationStore, type RecordedCopy } from './station-store.js';
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
  /**
   * Copies recorded while online are pushed this long after the first of them (one batch for a burst of
   * cards), not on the 60 s timer. Default 500 ms.
   */
  pushDelayMs?: number;
  /** Timer functions for the push delay (tests inject their own to fire it without waiting). */
  timers?: PushTimers;
  /** Keep the /ws socket (default true). */
  realtime?: boolean;
  wsBackoff?: { baseMs?: number; capMs?: number };
  wsPingIntervalMs?: number;
  /** Loopback NFC endpoint port (0 = ephemeral); undefined = endpoint off. */
  nfcPort?: number;
  /** The server's time as the agent knows it (shared with the license); default: clock.json in the data dir. */
  clock?: ServerClock;
}

export interface PushTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const nodeTimers: PushTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export type { StationStatus };

/** What the station knows beyond the contract's status: for the CLI, logs and tests, never sent to the UI. */
export interface StationDiagnostics {
  device_id: string;
  realtime_connected: boolean;
  auth: AuthState;
  user: SessionUser | null;
  /** The latest sync attempt, whatever its outcome, with its error code. */
  last_sync: SyncReport | null;
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
  private pushTimer: unknown = null;
  /** Failed ops dismissed since the last sync: those can still be restored. */
  private readonly undoable = new Set<string>();

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
      if (!this.online) return;
      await this.engine.sync();
      // Like every other sync: the status event goes out and the dismissal undo window closes.
      this.afterSync();
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
    if (this.pushTimer !== null) (this.opts.timers ?? nodeTimers).clearTimeout(this.pushTimer);
    this.pushTimer = null;
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
  recordCopy(clientId: unknown, uid: unknown): RecordedCopy & CopyReceipt {
    let copy: RecordedCopy;
    try {
      copy = this.store.recordCopy(clientId, uid);
    } catch (err) {
      if (!isStorageFull(err, this.opts.dataDir)) throw err;
      // The transaction rolled back: no quota was taken and nothing was queued, so the reader may simply retry.
      log.error({ err: describeError(err) }, 'copy refused: disk full');
      throw new AgentError('STORAGE_FULL', STORAGE_FULL_MESSAGE);
    }
    // The receipt, not the full status: counting the queue on every card would tax the hot path for
    // listeners that mostly do not care; the UI adapter turns it into a status when a UI is listening.
    this.opts.events?.emit({ type: 'station.copy-recorded', data: copy });
    this.schedulePush();
    return copy;
  }

  /**
   * While online and logged in, a recorded copy reaches the server within the push delay: the first copy
   * arms one timer and the copies that follow ride along in the same sync (the timer is not re-armed, so a
   * steady stream of cards cannot postpone the push indefinitely).
   */
  private schedulePush(): void {
    if (!this.started || !this.online || this.auth.state !== 'logged_in' || this.pushTimer !== null) return;
    this.pushTimer = (this.opts.timers ?? nodeTimers).setTimeout(() => {
      this.pushTimer = null;
      // A running sync may have read its batches before these copies were committed: run once more after it.
      if (this.engine.isRunning) this.resyncAfterRun = true;
      else this.fireSync('copies recorded');
    }, this.opts.pushDelayMs ?? 500);
  }

  /** Syncs now (joining a running sync); throws AgentError when the sync could not finish. */
  async syncNow(): Promise<SyncReport & SyncResult> {
    const report = await this.engine.sync();
    this.afterSync();
    return throwIfFailed(report);
  }

  private afterSync(): void {
    if (!this.db.open) return;
    // A sync ran: what was dismissed before it is settled (the undo window ends here).
    this.undoable.clear();
    checkpoint(this.db);
    this.emitStatus();
    if (this.resyncAfterRun && !this.engine.isRunning) {
      this.resyncAfterRun = false;
      this.fireSync('quota_updated during a sync');
    }
  }

  queue(): QueueSnapshot {
    return this.store.queue();
  }

  quotas(): Quota[] {
    return this.store.quotas().map(({ client_id, name, remaining, total, updated_at }) => ({
      client_id,
      name,
      remaining,
      total,
      updated_at,
    }));
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
    this.undoable.add(uuid);
    this.emitStatus();
  }

  /** Brings a dismissed failed op back, until the next sync. */
  undoDismiss(uuid: string): void {
    if (typeof uuid !== 'string' || !uuid) throw new AgentError('VALIDATION_ERROR', 'uuid is required');
    if (!this.undoable.has(uuid)) {
      throw new AgentError(
        'CONFLICT',
        'This dismissal can no longer be undone: a sync has run since (or it was never dismissed here).',
      );
    }
    this.store.undismiss(uuid);
    this.undoable.delete(uuid);
    this.emitStatus();
  }

  status(): StationStatus {
    const { counts } = this.store.queue(0);
    const last = this.engine.last;
    const err = last?.error ?? null;
    // Why the latest attempt stopped early, while that is still true: a network error is dropped once the
    // server is reachable again, so the status never says "online" and "unreachable" at once.
    const current = err && !(err.code === 'NETWORK_ERROR' && this.online) ? err : null;
    return {
      online: this.online,
      logged_in: this.auth.state === 'logged_in',
      login_needed: this.auth.state === 'login_needed',
      username: this.auth.user?.username ?? null,
      syncing: this.engine.isRunning,
      last_sync_at: this.engine.lastCompletedAt,
      last_attempt: last
        ? { finished_at: last.finished_at, ok: !last.error, synced: last.synced, failed: last.failed }
        : null,
      last_error: current?.message ?? null,
      pending: counts.pending,
      failed: counts.failed,
      server_url: this.safeUrl(),
    };
  }

  diagnostics(): StationDiagnostics {
    return {
      device_id: this.deviceId,
      realtime_connected: this.realtime?.connected ?? false,
      auth: this.auth.state,
      user: this.auth.user,
      last_sync: this.engine.last,
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
    // Always ask: a socket that has not noticed a dead server yet must not keep the station "online" after a
    // sync found the server unreachable.
    const ok = await this.api().health();
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
