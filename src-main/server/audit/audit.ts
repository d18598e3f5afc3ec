import type { FastifyRequest } from 'fastify';
import type { AuditRepo, NewAuditRecord } from '../store/audit-repo.js';
import { scrub, scrubString } from './redact.js';

/** One admin action as the audit trail records it: who (from the request), what, on which object. */
export interface AuditEntry {
  /** Dotted verb, e.g. `device.revoke`, `group.update`, `login.failed`. */
  action: string;
  /** The object acted on (device key, group id, license key prefix…), or null. */
  target: string | null;
  /** What changed; never a secret (tokens, passwords and keys are left out by the caller, and scrubbed here). */
  details?: Record<string, unknown>;
}

/** Records admin actions. Routes call it after the change succeeded. */
export interface AuditTrail {
  record(request: FastifyRequest, entry: AuditEntry): Promise<void>;
}

/**
 * The event as stored and logged: the actor from the admin gate (`anonymous` before it, as for a failed login),
 * details scrubbed of anything that looks like a secret.
 */
export function auditEvent(request: FastifyRequest, entry: AuditEntry, at: Date): NewAuditRecord {
  const actor = request.actor;
  return {
    at: at.toISOString(),
    actor: actor?.name ?? 'anonymous',
    actor_kind: actor?.kind ?? 'anonymous',
    ip: request.ip ?? null,
    action: entry.action,
    target: entry.target === null ? null : scrubString(entry.target),
    details: scrub(entry.details ?? {}) as Record<string, unknown>,
  };
}

function logLine(request: FastifyRequest, e: NewAuditRecord): void {
  request.log.info(
    {
      audit: {
        action: e.action,
        target: e.target,
        details: e.details,
        actor: e.actor,
        actor_kind: e.actor_kind,
        ip: e.ip,
      },
    },
    `audit ${e.action}`,
  );
}

/**
 * The persisted trail: one row per action in the store (listed and exported by `GET /api/admin/audit`) and the
 * same structured line in the server log. The row is written before the route answers, so an acknowledged change
 * is always on record.
 */
export function persistedAudit(repo: AuditRepo, now: () => Date = () => new Date()): AuditTrail {
  return {
    async record(request, entry) {
      const e = auditEvent(request, entry, now());
      logLine(request, e);
      await repo.insert(e);
    },
  };
}
