import type { AuditFilter, AuditRecord, AuditRepo } from '../audit-repo.js';
import type { Db } from './db.js';

type Row = Omit<AuditRecord, 'details'> & { details: string };

const toRecord = (r: Row): AuditRecord => ({
  ...r,
  details: JSON.parse(r.details) as Record<string, unknown>,
});

/** The WHERE clause of a filter, with named parameters; `action` ending in `.` is a prefix. */
function where(f: AuditFilter): { sql: string; params: Record<string, string> } {
  const parts: string[] = [];
  const params: Record<string, string> = {};
  if (f.action !== undefined) {
    params.action = f.action;
    parts.push(f.action.endsWith('.') ? 'substr(action, 1, length(@action)) = @action' : 'action = @action');
  }
  if (f.actor !== undefined) {
    params.actor = f.actor;
    parts.push('actor = @actor');
  }
  if (f.since !== undefined) {
    params.since = f.since;
    parts.push('at >= @since');
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export function sqliteAudit(db: Db): AuditRepo {
  const insert = db.prepare(
    `INSERT INTO audit_events (at, actor, actor_kind, ip, action, target, details)
     VALUES (@at, @actor, @actor_kind, @ip, @action, @target, @details)`,
  );
  return {
    async insert(e) {
      insert.run({ ...e, details: JSON.stringify(e.details) });
    },
    async list(filter, page) {
      const w = where(filter);
      const total = db.prepare(`SELECT COUNT(*) FROM audit_events ${w.sql}`).pluck().get(w.params) as number;
      const rows = db
        .prepare(`SELECT * FROM audit_events ${w.sql} ORDER BY id DESC LIMIT @limit OFFSET @offset`)
        .all({ ...w.params, ...page }) as Row[];
      return { rows: rows.map(toRecord), total };
    },
    async after(filter, beforeId, limit) {
      const w = where(filter);
      const cond = beforeId === null ? w.sql : w.sql ? `${w.sql} AND id < @before` : 'WHERE id < @before';
      const rows = db
        .prepare(`SELECT * FROM audit_events ${cond} ORDER BY id DESC LIMIT @limit`)
        .all({ ...w.params, ...(beforeId === null ? {} : { before: beforeId }), limit }) as Row[];
      return rows.map(toRecord);
    },
  };
}
