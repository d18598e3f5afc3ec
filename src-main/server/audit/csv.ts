import type { AuditEvent } from '../../../src-shared/api/audit.js';
import { csvLine } from '../csv.js';

export const AUDIT_CSV_HEADER = 'id,at,actor,ip,action,target,details\r\n';

export function auditCsvRow(e: AuditEvent): string {
  return csvLine([e.id, e.at, e.actor, e.ip, e.action, e.target, e.details]);
}
