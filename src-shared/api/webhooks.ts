import { z } from 'zod';
import { Pagination } from './licenses.js';

/**
 * Webhooks: endpoints an operator registers with an event filter. A delivery is `POST` JSON
 * `{id, type, created_at, data}` signed with `X-Outpost-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<raw body>")>`.
 */
export const WEBHOOK_EVENT_TYPES = [
  'device.registered',
  'device.revoked',
  'device.offline',
  'device.online',
  'quota.low',
  'quota.exhausted',
  'license.expiring',
  'registration.guessing',
  'test',
] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

export const SIGNATURE_HEADER = 'X-Outpost-Signature';

/** The JSON body of every delivery. */
export const WebhookPayload = z.object({
  id: z.string(),
  type: WebhookEventType,
  created_at: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

export const CreateWebhookBody = z.object({
  url: z
    .string()
    .max(2048)
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'url must be http:// or https://'),
  events: z.array(WebhookEventType).min(1).max(WEBHOOK_EVENT_TYPES.length),
});
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

export const Webhook = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(WebhookEventType),
  enabled: z.boolean(),
  created_at: z.string(),
  disabled_at: z.string().nullable(),
  /** Failed attempts in a row since the last success. */
  consecutive_failures: z.number().int(),
});
export type Webhook = z.infer<typeof Webhook>;

/** The secret is in this answer only: it is never shown again. */
export const WebhookCreatedResponse = z.object({
  success: z.literal(true),
  data: Webhook.extend({ secret: z.string() }),
});
export type WebhookCreatedResponse = z.infer<typeof WebhookCreatedResponse>;

export const WebhookListResponse = z.object({ success: z.literal(true), data: z.array(Webhook) });
export type WebhookListResponse = z.infer<typeof WebhookListResponse>;

export const WebhookIdParams = z.object({ id: z.string().uuid() });

export const WebhookDeletedResponse = z.object({
  success: z.literal(true),
  data: z.object({ id: z.string() }),
});

export const WebhookTestResponse = z.object({
  success: z.literal(true),
  data: z.object({ event_id: z.string(), delivery_id: z.number().int() }),
});
export type WebhookTestResponse = z.infer<typeof WebhookTestResponse>;

export const DeliveryStatus = z.enum(['pending', 'delivered', 'failed']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const WebhookDelivery = z.object({
  id: z.number().int(),
  event_id: z.string(),
  event_type: WebhookEventType,
  /** pending (queued or waiting for a retry), delivered, failed (gave up after 24 h or endpoint disabled). */
  status: DeliveryStatus,
  /** Attempts made so far. */
  attempt: z.number().int(),
  /** HTTP status of the last attempt, null when it got no answer (timeout, refused, blocked target). */
  response_code: z.number().int().nullable(),
  response_time_ms: z.number().int().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  next_attempt_at: z.string().nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const DeliveryListQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const DeliveryListResponse = z.object({
  success: z.literal(true),
  data: z.object({ deliveries: z.array(WebhookDelivery), pagination: Pagination }),
});
export type DeliveryListResponse = z.infer<typeof DeliveryListResponse>;
