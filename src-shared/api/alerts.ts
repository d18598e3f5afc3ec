import { z } from 'zod';
import { Pagination } from './licenses.js';

/**
 * Alerts the server raises for operators (seed 004 "alert thresholds and notifications"): one open alert per
 * (type, target) for the whole fleet, resolved when its condition clears. Targets: a device key, a client id,
 * a license id or a webhook id, by type.
 */
export const ALERT_TYPES = [
  /** A registered device silent beyond its silence threshold (target: device key). */
  'device.offline',
  /** A client's remaining quota at or below the low threshold, not yet zero (target: client id). */
  'quota.low',
  /** A client's remaining quota is zero (target: client id). */
  'quota.exhausted',
  /** An active license expiring within the configured number of days (target: license id). */
  'license.expiring',
  /** Repeated wrong registration tokens for one device (target: device key). */
  'registration.guessing',
  /** A webhook endpoint that kept failing was disabled (target: webhook id). */
  'webhook.disabled',
] as const;
export const AlertType = z.enum(ALERT_TYPES);
export type AlertType = z.infer<typeof AlertType>;

export const AlertState = z.enum(['open', 'resolved']);
export type AlertState = z.infer<typeof AlertState>;

export const Alert = z.object({
  id: z.number().int(),
  type: AlertType,
  target: z.string(),
  state: AlertState,
  first_seen: z.string(),
  last_seen: z.string(),
  resolved_at: z.string().nullable(),
  /** What the rule saw when it raised the alert (last_seen, remaining quota, expires_at, ...). */
  data: z.record(z.string(), z.unknown()),
});
export type Alert = z.infer<typeof Alert>;

/** `GET /api/admin/alerts` query: newest activity first. */
export const AlertListQuery = z.object({
  state: AlertState.optional(),
  type: AlertType.optional(),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type AlertListQuery = z.infer<typeof AlertListQuery>;

export const AlertListResponse = z.object({
  success: z.literal(true),
  data: z.object({ alerts: z.array(Alert), pagination: Pagination }),
});
export type AlertListResponse = z.infer<typeof AlertListResponse>;
