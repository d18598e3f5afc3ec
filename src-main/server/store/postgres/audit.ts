import type { AuditFilter, AuditRecord, AuditRepo } from '../audit-repo.js';
import type { Queryable } from './db.js';

const COLS = 'id, at, actor, actor_kind, ip, action, target, details';

/** The WHERE conditions of a filter, numbered from $1; `action` ending in `.` is a prefix. */
function where(f: AuditFilter): { parts: string[]; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  if (f.action !== undefined) {
    values.push(f.action);
    parts.push(
      f.action.endsWith('.')
        ? `left(action, length($${values.length})) = $${values.length}`
        : `action = $${values.length}`,
    );
  }
  if (f.actor !== undefined) {
    values.push(f.actor);
    parts.push(`actor = $${values.length}`);
  }
  if (f.since !== undefined) {
    values.push(f.since);
    parts.push(`at >= $${values.length}`);
  }
  return { parts, values };
}

const clause = (parts: string[]) => (parts.length ? `WHERE ${parts.join(' AND ')}` : '');

export function pgAudit(db: Queryable): AuditRepo {
  return {
    async insert(e) {
      await db.query(
        `INSERT INTO audit_events (at, actor, actor_kind, ip, action, target, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [e.at, e.actor, e.actor_kind, e.ip, e.action, e.target, JSON.stringify(e.details)],
      );
    },
    async list(filter, page) {
      const w = where(filter);
      const n = w.values.length;
      const [count, rows] = await Promise.all([
        db.query<{ n: number }>(`SELECT count(*) AS n FROM audit_events ${clause(w.parts)}`, w.values),
        db.query<AuditRecord>(
          `SELECT ${COLS} FROM audit_events ${clause(w.parts)} ORDER BY id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
          [...w.values, page.limit, page.offset],
        ),
      ]);
      return { rows, total: count[0]!.n };
    },
    async after(filter, beforeId, limit) {
      const w = where(filter);
      if (beforeId !== null) {
        w.values.push(beforeId);
        w.parts.push(`id < $${w.values.length}`);
      }
      w.values.push(limit);
      return db.query<AuditRecord>(
        `SELECT ${COLS} FROM audit_events ${clause(w.parts)} ORDER BY id DESC LIMIT $${w.values.length}`,
        w.values,
      );
    },
  };
}
