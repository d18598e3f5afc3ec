import type { FastifyRequest } from 'fastify';
import { actorOf } from '../auth/admin-access.js';

/** One admin action as the audit trail records it: who (from the request), what, on which object. */
export interface AuditEntry {
  /** Dotted verb, e.g. `device.revoke`, `group.update`, `login.failed`. */
  action: string;
  /** The object acted on (device key, group id, license key prefix…), or null. */
  target: string | null;
  /** What changed; never a secret (tokens, passwords and keys are left out by the caller). */
  details?: Record<string, unknown>;
}

/** Records admin actions. Routes call it after the change succeeded. */
export interface AuditTrail {
  record(request: FastifyRequest, entry: AuditEntry): Promise<void>;
}

/** The server log's structured line per action; the persisted trail wraps it. */
export const logOnlyAudit: AuditTrail = {
  async record(request, entry) {
    const actor = actorOf(request);
    request.log.info(
      { audit: { ...entry, actor: actor.name, actor_kind: actor.kind, ip: request.ip } },
      `audit ${entry.action}`,
    );
  },
};
