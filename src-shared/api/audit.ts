import { z } from 'zod';
import { Pagination } from './licenses.js';

/**
 * The audit trail: one event per admin change and per failed login, who (user or API key name), when, from which
 * IP, what and on which object. `GET /api/admin/audit` lists it newest first; `Accept: text/csv` streams the same
 * filter as CSV (columns id, at, actor, ip, action, target, details).
 */
export const AuditEvent = z.object({
  id: z.number().int(),
  /** ISO time. */
  at: z.string(),
  /** A username, an API key's name (`environment` for the environment's keys), or `anonymous` for failed logins. */
  actor: z.string(),
  ip: z.string().nullable(),
  /** Dotted verb: `user.create`, `api-key.revoke`, `license.generate`, `login.failed`… */
  action: z.string(),
  target: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export const AuditQuery = z.object({
  /** Exact action, or a prefix ending in `.` (`license.` lists every license action). */
  action: z.string().max(100).optional(),
  /** Exact actor name. */
  actor: z.string().max(200).optional(),
  /** ISO time: events at or after it. */
  since: z.string().datetime({ offset: true }).optional(),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditListResponse = z.object({
  success: z.literal(true),
  data: z.object({ events: z.array(AuditEvent), pagination: Pagination }),
});
export type AuditListResponse = z.infer<typeof AuditListResponse>;
