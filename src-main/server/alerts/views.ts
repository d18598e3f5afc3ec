import type { Alert } from '../../../src-shared/api/alerts.js';
import type { WebhookEventType } from '../../../src-shared/api/webhooks.js';
import type { AlertRecord } from '../store/alerts-repo.js';

export function alertView(r: AlertRecord): Alert {
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(r.data);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      data = parsed as Record<string, unknown>;
  } catch {
    // A row written by hand or by an older build: listed without its details rather than failing the page.
  }
  return {
    id: r.id,
    type: r.type,
    target: r.target,
    state: r.state,
    first_seen: r.first_seen,
    last_seen: r.last_seen,
    resolved_at: r.resolved_at,
    data,
  };
}

/** The webhook event an alert raises when it opens (a disabled endpoint is an operator matter, not an event). */
export function raisedEventType(type: AlertRecord['type']): WebhookEventType | undefined {
  return type === 'webhook.disabled' ? undefined : type;
}
