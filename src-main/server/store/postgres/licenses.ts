import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { ActivationOutcome, LicenseRecord, LicensesRepo, NewLicense } from '../licenses-repo.js';
import { isUniqueViolation, type PgDb, type Queryable } from './db.js';
import { pgLicenseLister } from './licenses-list.js';

const DAY_MS = 86_400_000;
const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY_MS).toISOString();

/** The full row of `GET /api/licenses`. */
export const LICENSE_SELECT = `SELECT l.id, l.license_key, l.duration_days, l.max_machines, l.status, l.description,
    l.user_id, l.activated_at, l.expires_at, l.created_at, l.updated_at, u.email AS user_email, u.name AS user_name,
    (SELECT count(*) FROM activations a WHERE a.license_id = l.id)::integer AS machines
  FROM licenses l LEFT JOIN license_users u ON u.id = l.user_id`;

const first = async (q: Queryable, sql: string, values: unknown[]) =>
  (await q.query<LicenseRecord>(sql, values))[0] as LicenseRecord | undefined;

/**
 * Writes that check and then change a license (activate, deactivate, update) run in one READ COMMITTED
 * transaction that first takes the license row with `SELECT … FOR UPDATE`. Every writer of that license, on any
 * instance, queues on that row lock; each statement after it takes a fresh snapshot, so the seat count read after
 * the lock includes every seat committed by the transactions that held it before. That is what makes "N
 * concurrent activations, one free seat → exactly one wins" hold without SERIALIZABLE.
 */
export function pgLicenses(db: PgDb): LicensesRepo {
  const byId = (q: Queryable, id: string) => first(q, `${LICENSE_SELECT} WHERE l.id = $1`, [id]);
  const byKey = (q: Queryable, key: string) => first(q, `${LICENSE_SELECT} WHERE l.license_key = $1`, [key]);
  const lockByKey = async (q: Queryable, key: string) =>
    (
      await q.query<
        Pick<LicenseRecord, 'id' | 'status' | 'expires_at' | 'activated_at' | 'duration_days'> & {
          max_machines: number;
        }
      >(
        `SELECT id, status, expires_at, activated_at, duration_days, max_machines FROM licenses
         WHERE license_key = $1 FOR UPDATE`,
        [key],
      )
    )[0];
  const list = pgLicenseLister(db, LICENSE_SELECT);

  return {
    async create(l: NewLicense) {
      try {
        await db.query(
          `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at,
             updated_at) VALUES ($1, $2, $3, $4, 'generated', $5, $6, $6)`,
          [l.id, l.license_key, l.duration_days, l.max_machines, l.description, l.now],
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'License key already exists');
        throw err;
      }
      return (await byId(db, l.id))!;
    },
    findById: (id) => byId(db, id),
    findByKey: (key) => byKey(db, key),
    list,
    update(id, patch, now) {
      return db.tx(async (q) => {
        const lic = (
          await q.query<
            Pick<LicenseRecord, 'duration_days' | 'status' | 'description' | 'activated_at'> & {
              expires_at: string | null;
            }
          >(
            'SELECT duration_days, status, description, activated_at, expires_at FROM licenses WHERE id = $1 FOR UPDATE',
            [id],
          )
        )[0];
        if (!lic) return undefined;
        const duration = patch.duration_days ?? lic.duration_days;
        const expires = lic.activated_at ? plusDays(lic.activated_at, duration) : lic.expires_at;
        await q.query(
          `UPDATE licenses SET duration_days = $1, status = $2, description = $3, expires_at = $4, updated_at = $5
           WHERE id = $6`,
          [
            duration,
            patch.status ?? lic.status,
            patch.description !== undefined ? patch.description : lic.description,
            expires,
            now,
            id,
          ],
        );
        return byId(q, id);
      });
    },
    async delete(id) {
      return (await db.query('DELETE FROM licenses WHERE id = $1 RETURNING 1', [id])).length > 0;
    },
    activate(a) {
      return db.tx(async (q): Promise<ActivationOutcome> => {
        const lic = await lockByKey(q, a.license_key);
        if (!lic) return { kind: 'not_found' };
        if (lic.status === 'revoked') return { kind: 'revoked' };
        if (lic.status === 'expired' || (lic.expires_at !== null && lic.expires_at <= a.now)) {
          return { kind: 'expired' };
        }
        const seat = await q.query('SELECT 1 FROM activations WHERE license_id = $1 AND fingerprint = $2', [
          lic.id,
          a.fingerprint,
        ]);
        if (seat.length > 0) return { kind: 'ok', license: (await byId(q, lic.id))!, newSeat: false };
        const used = (
          await q.query<{ n: number }>('SELECT count(*) AS n FROM activations WHERE license_id = $1', [
            lic.id,
          ])
        )[0]!.n;
        if (used >= lic.max_machines) return { kind: 'in_use', license: (await byId(q, lic.id))! };
        // The first name given wins; a later activation never renames a user.
        const userId = (
          await q.query<{ id: string }>(
            `INSERT INTO license_users AS u (id, email, name, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO UPDATE SET name = COALESCE(u.name, excluded.name) RETURNING id`,
            [randomUUID(), a.email, a.name ?? null, a.now],
          )
        )[0]!.id;
        await q.query(
          'INSERT INTO activations (license_id, fingerprint, user_id, activated_at) VALUES ($1, $2, $3, $4)',
          [lic.id, a.fingerprint, userId, a.now],
        );
        if (lic.activated_at === null) {
          await q.query(
            `UPDATE licenses SET status = 'active', activated_at = $2, expires_at = $3,
               user_id = COALESCE(user_id, $4), updated_at = $2 WHERE id = $1`,
            [lic.id, a.now, plusDays(a.now, lic.duration_days), userId],
          );
        } else {
          await q.query(
            `UPDATE licenses SET status = 'active', user_id = COALESCE(user_id, $3), updated_at = $2
             WHERE id = $1`,
            [lic.id, a.now, userId],
          );
        }
        return { kind: 'ok', license: (await byId(q, lic.id))!, newSeat: true };
      });
    },
    deactivate(key, fingerprint, now) {
      return db.tx(async (q) => {
        const lic = await lockByKey(q, key);
        if (!lic) return { kind: 'not_found' as const };
        const gone = await q.query(
          'DELETE FROM activations WHERE license_id = $1 AND fingerprint = $2 RETURNING 1',
          [lic.id, fingerprint],
        );
        if (gone.length === 0) return { kind: 'not_activated' as const };
        await q.query('UPDATE licenses SET updated_at = $1 WHERE id = $2', [now, lic.id]);
        return { kind: 'ok' as const, license: (await byId(q, lic.id))! };
      });
    },
    async isActivated(licenseId, fingerprint) {
      const rows = await db.query('SELECT 1 FROM activations WHERE license_id = $1 AND fingerprint = $2', [
        licenseId,
        fingerprint,
      ]);
      return rows.length > 0;
    },
  };
}
