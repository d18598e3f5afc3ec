import type { SystemRecord, SystemsRepo } from '../systems-repo.js';
import type { Db } from './db.js';

// The systems table itself is created by the licenses migration (version 5): both belong to seed 002.

interface SystemRow {
  id: string;
  license_id: string;
  fingerprint_hash: string;
  system_data: string;
  last_seen: string;
  created_at: string;
  l_id: string | null;
  license_key: string | null;
  status: string | null;
  expires_at: string | null;
  user_email: string | null;
  user_name: string | null;
}

const SELECT = `SELECT s.id, s.license_id, s.fingerprint_hash, s.system_data, s.last_seen, s.created_at,
    l.id AS l_id, l.license_key, l.status, l.expires_at, u.email AS user_email, u.name AS user_name
  FROM systems s
  LEFT JOIN licenses l ON l.id = s.license_id
  LEFT JOIN license_users u ON u.id = l.user_id`;

function parseData(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function toRecord(r: SystemRow): SystemRecord {
  return {
    id: r.id,
    license_id: r.license_id,
    fingerprint_hash: r.fingerprint_hash,
    system_data: parseData(r.system_data),
    last_seen: r.last_seen,
    created_at: r.created_at,
    license:
      r.l_id === null
        ? null
        : {
            id: r.l_id,
            license_key: r.license_key as string,
            status: r.status as NonNullable<SystemRecord['license']>['status'],
            expires_at: r.expires_at,
            user_email: r.user_email,
            user_name: r.user_name,
          },
  };
}

export function sqliteSystems(db: Db): SystemsRepo {
  const licenseExists = db.prepare('SELECT 1 FROM licenses WHERE id = ?').pluck();
  const seatExists = db.prepare('SELECT 1 FROM activations WHERE license_id = ? AND fingerprint = ?').pluck();
  const upsert = db
    .prepare(
      `INSERT INTO systems (id, license_id, fingerprint_hash, system_data, last_seen, created_at)
       VALUES (@id, @license_id, @fingerprint_hash, @system_data, @now, @now)
       ON CONFLICT (license_id, fingerprint_hash) DO UPDATE SET
         system_data = excluded.system_data, last_seen = excluded.last_seen
       RETURNING id`,
    )
    .pluck();
  const byId = db.prepare(`${SELECT} WHERE s.id = ?`);
  const listAll = db.prepare(`${SELECT} ORDER BY s.last_seen DESC, s.id LIMIT @limit OFFSET @offset`);
  const listByLicense = db.prepare(
    `${SELECT} WHERE s.license_id = @license_id ORDER BY s.last_seen DESC, s.id LIMIT @limit OFFSET @offset`,
  );

  const reportTx = db.transaction((r: Parameters<SystemsRepo['report']>[0]) => {
    if (licenseExists.get(r.license_id) === undefined) return { kind: 'not_found' as const };
    if (seatExists.get(r.license_id, r.fingerprint_hash) === undefined) return { kind: 'forbidden' as const };
    const id = upsert.get({
      id: r.id,
      license_id: r.license_id,
      fingerprint_hash: r.fingerprint_hash,
      system_data: JSON.stringify(r.system_data),
      now: r.now,
    }) as string;
    return { kind: 'ok' as const, system: toRecord(byId.get(id) as SystemRow) };
  });

  return {
    async report(r) {
      return reportTx(r);
    },
    async list(opts) {
      const rows = (
        opts.license_id
          ? listByLicense.all({ license_id: opts.license_id, limit: opts.limit, offset: opts.offset })
          : listAll.all({ limit: opts.limit, offset: opts.offset })
      ) as SystemRow[];
      return rows.map(toRecord);
    },
  };
}
