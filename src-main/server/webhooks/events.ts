import { randomUUID } from 'node:crypto';
import type { WebhookEventType, WebhookPayload } from '../../../src-shared/api/webhooks.js';
import type { NewWebhookEvent } from '../store/webhooks-repo.js';

/** An event as every endpoint receives it: the body is fixed once, so retries and all endpoints sign the same bytes. */
export function webhookEvent(
  type: WebhookEventType,
  data: Record<string, unknown>,
  at: number,
): NewWebhookEvent {
  const id = randomUUID();
  const payload: WebhookPayload = { id, type, created_at: new Date(at).toISOString(), data };
  return { id, type, payload: JSON.stringify(payload) };
}
