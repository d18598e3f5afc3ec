import type { SyncProgress, SyncResult } from '../../../src-shared/ipc/schemas/station.js';
import { AgentError, describeError, relayedCode, type AgentErrorCode } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { StationApiError, type StationApi } from './station-api.js';
import type { OpResult, PendingOp, StationStore } from './station-store.js';

const log = createLogger('sync');

export type { SyncProgress };

/** The contract's SyncResult plus the run's bookkeeping (the station status shows the latest one). */
export interface SyncReport extends SyncResult {
  batches: number;
  pulled: number;
  started_at: string;
  finished_at: string;
  /** Set when the sync stopped early; the queue is intact and the next trigger continues. */
  error?: { code: AgentErrorCode; message: string };
}

/** Server-side limit is 1000 per request; the issue caps us at 500. */
export const MAX_BATCH = 500;

/**
 * One sync = push every pending op in record order, batch by batch, applying each batch's per-op results in one
 * local transaction, then pull quotas. Only one runs at a time: a second caller joins the running one. A failure
 * leaves the queue as it was (every op keeps its uuid), so the next run re-pushes safely.
 */
export class SyncEngine {
  private running: Promise<SyncReport> | undefined;
  private _last: SyncReport | null = null;
  private _lastCompletedAt: string | null = null;
  private lastPrune = 0;

  constructor(
    private readonly opts: {
      store: StationStore;
      api: () => StationApi;
      deviceId: string;
      token: () => Promise<string | null>;
      onAuthRejected: (reason: string) => void;
      onReachable: (reachable: boolean) => void;
      onProgress?: (p: SyncProgress) => void;
      batchSize?: number;
    },
  ) {}

  get last(): SyncReport | null {
    return this._last;
  }

  /** When the last sync that ran to the end finished: a sync that stopped early does not move it. */
  get lastCompletedAt(): string | null {
    return this._lastCompletedAt;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Starts a sync, or joins the one already running. Never rejects: problems are in `report.error`. */
  sync(): Promise<SyncReport> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<SyncReport> {
    const started = new Date().toISOString();
    const r = { pushed: 0, synced: 0, failed: 0, batches: 0, pulled: 0 };
    const pendingBefore = this.opts.store.pendingCount();
    const size = Math.max(1, Math.min(MAX_BATCH, this.opts.batchSize ?? MAX_BATCH));
    const progress = (phase: SyncProgress['phase']): void => {
      try {
        this.opts.onProgress?.({ phase, done: Math.min(r.pushed, pendingBefore), total: pendingBefore });
      } catch (err) {
        log.warn({ err: describeError(err) }, 'progress listener failed');
      }
    };
    const finish = (error?: SyncReport['error']): SyncReport => {
      const report: SyncReport = {
        ...r,
        quotas_updated: r.pulled > 0,
        started_at: started,
        finished_at: new Date().toISOString(),
        ...(error ? { error } : {}),
      };
      this._last = report;
      if (!error) this._lastCompletedAt = report.finished_at;
      progress(error ? 'error' : 'done');
      return report;
    };
    try {
      const token = await this.opts.token();
      if (!token) return finish({ code: 'LOGIN_REQUIRED', message: 'Log in to sync (copies stay queued)' });
      const api = this.opts.api();
      // Pipelined: while batch k+1 is on the wire, batch k's results are applied locally. The server still sees
      // the batches strictly in order (one request at a time); only our local bookkeeping overlaps.
      let inHand: { batch: PendingOp[]; results: OpResult[] } | null = null;
      const apply = (done: { batch: PendingOp[]; results: OpResult[] }): void => {
        const applied = this.opts.store.applyResults(done.batch, done.results);
        r.batches++;
        r.pushed += done.batch.length;
        r.synced += applied.synced;
        r.failed += applied.failed;
        // A server that answered without resolving anything would make us spin: stop, retry on the next trigger.
        if (applied.synced + applied.failed === 0) {
          throw new StationApiError('server', 'server resolved none of the pushed ops');
        }
      };
      let pushError: unknown;
      try {
        let batch = this.opts.store.pendingBatch(size, 0);
        while (batch.length > 0) {
          progress('push');
          const pushing = api.push(token, this.opts.deviceId, batch);
          // Mark the rejection handled now: it may settle while we are parked in setImmediate below, before the
          // `await pushing` that really handles it, and an unhandled rejection would take the process down.
          pushing.catch(() => undefined);
          if (inHand) {
            const done = inHand;
            inHand = null;
            // Let the request reach the socket before the synchronous local transaction blocks the loop.
            await new Promise((resolve) => setImmediate(resolve));
            apply(done); // if this throws, the request's outcome no longer matters: its ops stay pending
          }
          // The following batch is read while this one is on the wire, so the next request leaves as soon as
          // this answer is in. Safe to read early: rows only become pending by INSERT with a higher seq, and a
          // pending row stays pending until its own batch's results are applied (the sync is single-flight).
          const next = this.opts.store.pendingBatch(size, batch.at(-1)!.seq);
          inHand = { batch, results: await pushing };
          batch = next;
        }
      } catch (err) {
        pushError = err;
      }
      // Results already in hand are applied even when a later request failed.
      if (inHand) apply(inHand);
      if (pushError) throw pushError;
      progress('pull');
      const pulled = await api.pull(token);
      this.opts.store.applyServerQuotas(pulled.quotas);
      if (Date.now() - this.lastPrune > 3_600_000) {
        this.lastPrune = Date.now();
        this.opts.store.pruneSynced(); // hourly: it scans the settled rows
      }
      r.pulled = pulled.quotas.length;
      this.opts.onReachable(true);
      return finish();
    } catch (err) {
      if (err instanceof StationApiError) {
        if (err.kind === 'auth') {
          this.opts.onAuthRejected(err.message);
          return finish({
            code: 'LOGIN_REQUIRED',
            message: 'The server refused the login: log in again (copies stay queued)',
          });
        }
        if (err.kind === 'network') {
          this.opts.onReachable(false);
          return finish({ code: 'NETWORK_ERROR', message: err.message });
        }
        return finish({ code: relayedCode(err.code), message: err.message });
      }
      log.error({ err: describeError(err) }, 'sync failed');
      return finish({ code: 'INTERNAL_ERROR', message: describeError(err) });
    }
  }
}

/** For callers that want a failed sync as an exception (CLI, UI button). */
export function throwIfFailed(report: SyncReport): SyncReport {
  if (report.error) throw new AgentError(report.error.code, report.error.message, report);
  return report;
}
