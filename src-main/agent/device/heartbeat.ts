/**
 * The device heartbeat loop: one beat right away at start, then every interval; on failure exponential backoff
 * with full jitter (capped, 5 min by default). Seed 004 gave up after 5 failures; we only change the *status*
 * to `inactive` at 5 consecutive failures and keep retrying, so a server that comes back is found again without
 * restarting the agent. A fatal answer (401/404: revoked or unknown device) stops the loop with
 * "re-registration needed". A beat that throws is caught: the loop never dies on one bad beat.
 * The server may set the interval (`next_heartbeat_sec` in its answers): the loop adopts it, bounded, for the
 * next tick after the answer that carried it, without a restart.
 */
import { createLogger } from '../logging/logger.js';
import type { HeartbeatErrorKind } from '../events.js';
import type { BeatOutcome } from './api.js';
import { backoffDelay, type BackoffOptions } from '../../../src-shared/backoff.js';

const log = createLogger('heartbeat');

export interface HeartbeatTimings {
  intervalMs: number;
  backoff: BackoffOptions;
  /** Consecutive failures after which the status is `inactive` (seed 004: 5). */
  inactiveAfter: number;
  /**
   * Whether the server's interval replaces `intervalMs` (default true). False when `intervalMs` is a fixed
   * override (tests and benchmarks that beat every few milliseconds).
   */
  followServer?: boolean;
}

export interface HeartbeatState {
  heartbeat: 'active' | 'inactive' | 'stopped' | 'reregistration_needed';
  last_success_at: string | null;
  last_error: string | null;
  last_error_kind: HeartbeatErrorKind | null;
  last_error_at: string | null;
  last_latency_ms: number | null;
  consecutive_failures: number;
  next_attempt_at: string | null;
}

export const initialHeartbeatState = (): HeartbeatState => ({
  heartbeat: 'stopped',
  last_success_at: null,
  last_error: null,
  last_error_kind: null,
  last_error_at: null,
  last_latency_ms: null,
  consecutive_failures: 0,
  next_attempt_at: null,
});

export class HeartbeatLoop {
  readonly state: HeartbeatState = initialHeartbeatState();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private chain: Promise<unknown> = Promise.resolve();
  /** The interval the server last asked for (bounded), in ms; null until it gave one. */
  private serverIntervalMs: number | null = null;
  beats = 0;

  constructor(
    private readonly beat: () => Promise<BeatOutcome>,
    private readonly timings: () => HeartbeatTimings,
    private readonly onChange: (s: HeartbeatState) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.state.heartbeat === 'stopped' || this.state.heartbeat === 'reregistration_needed') {
      this.state.heartbeat =
        this.state.consecutive_failures >= this.timings().inactiveAfter ? 'inactive' : 'active';
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.clearTimer();
    await this.chain.catch(() => undefined);
    if (this.state.heartbeat !== 'reregistration_needed') this.state.heartbeat = 'stopped';
    this.state.next_attempt_at = null;
    this.onChange(this.state);
  }

  /** Sends one beat now (serialised with the loop's beats) and, when running, restarts the cadence from it. */
  async runNow(): Promise<BeatOutcome> {
    this.clearTimer();
    return this.enqueue();
  }

  /** Forget failures, the fatal flag and the server's interval (after a new registration). */
  reset(): void {
    Object.assign(this.state, initialHeartbeatState());
    this.serverIntervalMs = null;
  }

  /** What a successful beat waits before the next one: the server's interval when it gave one. */
  intervalMs(): number {
    const t = this.timings();
    return t.followServer !== false && this.serverIntervalMs !== null ? this.serverIntervalMs : t.intervalMs;
  }

  /**
   * Takes the interval the server asked for (already bounded by server-interval.ts), from the next tick on.
   * Undefined (an older server, or a value that was not a number) keeps the current one.
   */
  adoptServerInterval(sec: number | undefined): void {
    if (sec === undefined) return;
    const ms = sec * 1000;
    if (ms === this.serverIntervalMs) return;
    this.serverIntervalMs = ms;
    log.info({ interval_sec: sec }, 'heartbeat interval set by the server');
  }

  private enqueue(): Promise<BeatOutcome> {
    const p = this.chain.then(() => this.once());
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async once(): Promise<BeatOutcome> {
    let outcome: BeatOutcome;
    try {
      outcome = await this.beat();
    } catch (err) {
      outcome = {
        ok: false,
        fatal: false,
        kind: 'server',
        message: err instanceof Error ? err.message : String(err),
        latency_ms: null,
      };
    }
    this.beats++;
    this.record(outcome);
    return outcome;
  }

  private record(o: BeatOutcome): void {
    const s = this.state;
    const t = this.timings();
    const now = new Date().toISOString();
    if (o.ok) {
      if (this.running && s.heartbeat !== 'active')
        log.info({ after_failures: s.consecutive_failures }, 'heartbeat active');
      s.consecutive_failures = 0;
      s.last_error_kind = null;
      s.last_success_at = now;
      s.last_latency_ms = o.latency_ms;
      s.heartbeat = this.running ? 'active' : 'stopped';
      log.info({ latency_ms: o.latency_ms }, 'heartbeat sent');
      this.adoptServerInterval(o.server_interval_sec);
      this.schedule(this.intervalMs());
    } else if (o.fatal) {
      s.last_error = o.message;
      s.last_error_kind = o.kind;
      s.last_error_at = now;
      s.heartbeat = 'reregistration_needed';
      this.running = false;
      this.clearTimer();
      s.next_attempt_at = null;
      log.error({ reason: o.message }, 'heartbeat stopped: re-registration needed');
    } else {
      s.consecutive_failures++;
      s.last_error = o.message;
      s.last_error_kind = o.kind;
      s.last_error_at = now;
      if (o.latency_ms !== null) s.last_latency_ms = o.latency_ms;
      if (s.consecutive_failures >= t.inactiveAfter && s.heartbeat === 'active') {
        s.heartbeat = 'inactive';
        log.warn({ failures: s.consecutive_failures }, 'heartbeat inactive; still retrying with backoff');
      }
      log.warn({ failures: s.consecutive_failures, reason: o.message }, 'heartbeat failed');
      // The first failure waits about `base`: retry number failures-1.
      this.schedule(backoffDelay(s.consecutive_failures - 1, t.backoff));
    }
    this.onChange(s);
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    if (!this.running) {
      this.state.next_attempt_at = null;
      return;
    }
    this.state.next_attempt_at = new Date(Date.now() + delayMs).toISOString();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.enqueue();
    }, delayMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
