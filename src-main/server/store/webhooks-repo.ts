import type { WebhookEventType } from '../../../src-shared/api/webhooks.js';

export interface WebhookRecord {
  id: string;
  url: string;
  events: WebhookEventType[];
  /** The signing secret, encrypted with the fleet's key (see webhooks/secret-box.ts). */
  secret_enc: string;
  enabled: boolean;
  created_at: string;
  disabled_at: string | null;
  consecutive_failures: number;
  failing_since: string | null;
}

/** An event to deliver to every enabled endpoint whose filter names its type. */
export interface NewWebhookEvent {
  id: string;
  type: WebhookEventType;
  /** The exact body every endpoint receives (the signature covers these bytes). */
  payload: string;
}

export interface DeliveryRecord {
  id: number;
  webhook_id: string;
  event_id: string;
  event_type: WebhookEventType;
  status: 'pending' | 'delivered' | 'failed';
  attempt: number;
  response_code: number | null;
  response_time_ms: number | null;
  error: string | null;
  created_at: string;
  updated_at: string;
  next_attempt_at: string | null;
}

/** A claimed delivery with what the dispatcher needs to send it. */
export interface DeliveryJob {
  id: number;
  webhook_id: string;
  url: string;
  secret_enc: string;
  payload: string;
  attempt: number;
  created_at: string;
}

export interface AttemptResult {
  id: number;
  webhook_id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempt: number;
  response_code: number | null;
  response_time_ms: number | null;
  error: string | null;
  next_attempt_at: string | null;
  now: string;
}

export interface WebhooksRepo {
  create(w: {
    id: string;
    url: string;
    events: readonly WebhookEventType[];
    secret_enc: string;
    now: string;
  }): Promise<WebhookRecord>;
  list(): Promise<WebhookRecord[]>;
  get(id: string): Promise<WebhookRecord | undefined>;
  /** Deletes the endpoint and its delivery log; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Queues each event for every enabled endpoint that subscribed to its type; returns the deliveries queued. */
  enqueue(events: readonly NewWebhookEvent[], now: string): Promise<number>;
  /** Queues one event for one endpoint, whatever its filter (the test event); the delivery id. */
  enqueueFor(webhookId: string, event: NewWebhookEvent, now: string): Promise<number | undefined>;
  /**
   * Takes up to `limit` pending deliveries due at `now` of enabled endpoints, pushing their next attempt to
   * `leaseUntil` in the same statement, so an overlapping dispatcher (during a takeover) does not send them too.
   */
  claimDue(now: string, leaseUntil: string, limit: number): Promise<DeliveryJob[]>;
  /**
   * Records an attempt and the endpoint's failure streak in one transaction; returns the streak after it (0 on
   * success) and since when the endpoint has been failing.
   */
  recordAttempt(r: AttemptResult): Promise<{ consecutive_failures: number; failing_since: string | null }>;
  /** Disables an enabled endpoint and fails its pending deliveries; true only for the call that disabled it. */
  disable(id: string, now: string): Promise<boolean>;
  deliveries(
    webhookId: string,
    offset: number,
    limit: number,
  ): Promise<{ deliveries: DeliveryRecord[]; total: number }>;
}
