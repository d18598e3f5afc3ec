import { SIGNATURE_HEADER } from '../../../src-shared/api/webhooks.js';
import type { WebhookSettings } from '../alerts/settings.js';
import type { DeliveryJob, WebhooksRepo } from '../store/webhooks-repo.js';
import { retryDelayMs } from './backoff.js';
import type { SecretBox } from './secret-box.js';
import { postJson, type SendResult } from './sender.js';
import { signatureHeader } from './signature.js';

/** Deliveries in flight on the dispatching instance at most: a burst of events does not open a thousand sockets. */
const MAX_IN_FLIGHT = 32;
const iso = (ms: number) => new Date(ms).toISOString();

export interface DispatcherOptions {
  repo: WebhooksRepo;
  box: SecretBox;
  settings: WebhookSettings;
  now(): number;
  random?: () => number;
  /** A failed attempt (for the failure counter). */
  failed(): void;
  /** This call disabled the endpoint: raise the alert. */
  disabled(webhookId: string, url: string): Promise<void>;
  warn(obj: object, msg: string): void;
}

/** The URL without credentials or query (tokens live there): safe for logs, alerts and errors. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/**
 * Sends due deliveries from the durable queue. One instance runs it at a time (a runtime singleton); a turn claims
 * what is due and starts it without waiting for the answers, so one hanging receiver never holds back the others
 * or the next turn. Each claim pushes the row's next attempt past the attempt's timeout, so a dispatcher taking
 * over mid-attempt does not send it twice meanwhile.
 */
export class WebhookDispatcher {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: DispatcherOptions) {}

  /** Claims and starts what is due; resolves when those deliveries finished (tests await it, the timer does not). */
  async pass(): Promise<number> {
    const room = MAX_IN_FLIGHT - this.inFlight.size;
    if (room <= 0) return 0;
    const t = this.o.now();
    const lease = t + this.o.settings.timeoutMs + 60_000;
    const jobs = await this.o.repo.claimDue(iso(t), iso(lease), room);
    const started = jobs.map((j) => this.track(this.deliver(j)));
    await Promise.all(started);
    return jobs.length;
  }

  /** Resolves when every delivery in flight finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private track(p: Promise<void>): Promise<void> {
    const tracked = p.catch((err: unknown) => this.o.warn({ err }, 'webhook delivery failed to record'));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return tracked;
  }

  private async deliver(job: DeliveryJob): Promise<void> {
    const s = this.o.settings;
    const attempt = job.attempt + 1;
    let result: SendResult;
    try {
      const secret = this.o.box.open(job.secret_enc);
      const header = signatureHeader(secret, Math.floor(this.o.now() / 1000), job.payload);
      result = await postJson(job.url, job.payload, { [SIGNATURE_HEADER]: header }, s);
    } catch (err) {
      result = { ok: false, status: null, ms: 0, error: err instanceof Error ? err.message : String(err) };
    }
    const t = this.o.now();
    if (!result.ok) this.o.failed();
    const expired = t - Date.parse(job.created_at) >= s.retryHours * 3600_000;
    const status = result.ok ? 'delivered' : expired ? 'failed' : 'pending';
    const streak = await this.o.repo.recordAttempt({
      id: job.id,
      webhook_id: job.webhook_id,
      status,
      attempt,
      response_code: result.status,
      response_time_ms: result.ms,
      error: result.error,
      next_attempt_at:
        status === 'pending' ? iso(t + retryDelayMs(attempt, s.backoffMs, this.o.random)) : null,
      now: iso(t),
    });
    if (result.ok || streak.failing_since === null) return;
    const failingMs = t - Date.parse(streak.failing_since);
    if (streak.consecutive_failures >= s.disableFailures && failingMs >= s.disableHours * 3600_000) {
      if (await this.o.repo.disable(job.webhook_id, iso(t)))
        await this.o.disabled(job.webhook_id, safeUrl(job.url));
    }
  }
}
