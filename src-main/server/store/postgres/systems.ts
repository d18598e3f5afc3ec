import type { SystemRecord, SystemsRepo } from '../systems-repo.js';
import type { PgDb } from './db.js';

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

export function pgSystems(db: PgDb): SystemsRepo {
  return {
    report(r) {
      // The seat check and the upsert in one transaction holding the seat row (FOR SHARE): a deactivation on
      // another instance waits for the report or runs before it, never between check and write.
      return db.tx(async (q) => {
        const lic = await q.query('SELECT 1 FROM licenses WHERE id = $1', [r.license_id]);
        if (lic.length === 0) return { kind: 'not_found' as const };
        const seat = await q.query(
          'SELECT 1 FROM activations WHERE license_id = $1 AND fingerprint = $2 FOR SHARE',
          [r.license_id, r.fingerprint_hash],
        );
        if (seat.length === 0) return { kind: 'forbidden' as const };
        const id = (
          await q.query<{ id: string }>(
            `INSERT INTO systems (id, license_id, fingerprint_hash, system_data, last_seen, created_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (license_id, fingerprint_hash) DO UPDATE SET
               system_data = excluded.system_data, last_seen = excluded.last_seen
             RETURNING id`,
            [r.id, r.license_id, r.fingerprint_hash, JSON.stringify(r.system_data), r.now],
          )
        )[0]!.id;
        const row = (await q.query<SystemRow>(`${SELECT} WHERE s.id = $1`, [id]))[0]!;
        return { kind: 'ok' as const, system: toRecord(row) };
      });
    },
    async list(opts) {
      const rows = opts.license_id
        ? await db.query<SystemRow>(
            `${SELECT} WHERE s.license_id = $1 ORDER BY s.last_seen DESC, s.id LIMIT $2 OFFSET $3`,
            [opts.license_id, opts.limit, opts.offset],
          )
        : await db.query<SystemRow>(`${SELECT} ORDER BY s.last_seen DESC, s.id LIMIT $1 OFFSET $2`, [
            opts.limit,
            opts.offset,
          ]);
      return rows.map(toRecord);
    },
  };
}
