import type { AuditEvent } from '../../../src-shared/api/audit.js';

/**
 * CSV for spreadsheets: RFC 4180 quoting (a field with a comma, quote or line break is quoted, quotes doubled),
 * and formula injection defused: a cell that starts with = + - @ (or a tab or carriage return, which some
 * spreadsheets skip before reading a formula) is prefixed with ' so it opens as text, not as a formula.
 */
export function csvCell(value: unknown): string {
  let s =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const AUDIT_CSV_HEADER = 'id,at,actor,ip,action,target,details\r\n';

export function auditCsvRow(e: AuditEvent): string {
  return `${[e.id, e.at, e.actor, e.ip, e.action, e.target, e.details].map(csvCell).join(',')}\r\n`;
}
