import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.js';
import type {
  ActivationInput,
  ActivationOutcome,
  DeactivationOutcome,
  LicensePatch,
  LicenseRecord,
  LicensesRepo,
  NewLicense,
} from '../licenses-repo.js';
import { isUniqueViolation, type Db, type Migration } from './db.js';
import { licenseLister } from './licenses-list.js';

/**
 * Seed 002: license users, licenses, activations (seats) and systems, one migration (version 5).
 *
 * licenses has an INTEGER rowid alias (`rid`) besides its uuid: the FTS5 index refers to rows by rowid, and an
 * implicit rowid may be renumbered by VACUUM. The trigram FTS index makes `search` (a substring of license_key or
 * description) an index lookup instead of a 100,000-row LIKE scan; triggers keep it in step with the table.
 */
export const licensesMigration: Migration = {
  version: 5,
  name: 'licenses: seed 002 licenses, activations, systems',
  up: `
    CREATE TABLE license_users (
      id TEXT PRIMARY KEY,
      email TEXT NOT NULL UNIQUE,
      name TEXT,
      created_at TEXT NOT NULL,
      CHECK (email = lower(email))
    );
    CREATE TABLE licenses (
      rid INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      license_key TEXT NOT NULL UNIQUE,
      duration_days INTEGER NOT NULL CHECK (duration_days BETWEEN 1 AND 3650),
      max_machines INTEGER NOT NULL DEFAULT 1 CHECK (max_machines BETWEEN 1 AND 100),
      status TEXT NOT NULL CHECK (status IN ('generated','activated','active','expired','revoked')),
      description TEXT,
      user_id TEXT REFERENCES license_users(id) ON DELETE SET NULL,
      activated_at TEXT,
      expires_at TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX licenses_created_at ON licenses (created_at);
    CREATE INDEX licenses_updated_at ON licenses (updated_at);
    CREATE INDEX licenses_expires_at ON licenses (expires_at);
    CREATE INDEX licenses_status_created ON licenses (status, created_at);
    CREATE INDEX licenses_status_expires ON licenses (status, expires_at);
    CREATE INDEX licenses_user ON licenses (user_id, created_at);

    CREATE TABLE activations (
      license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
      fingerprint TEXT NOT NULL,
      user_id TEXT REFERENCES license_users(id) ON DELETE SET NULL,
      activated_at TEXT NOT NULL,
      UNIQUE (license_id, fingerprint)
    );

    CREATE TABLE systems (
      id TEXT PRIMARY KEY,
      license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
      fingerprint_hash TEXT NOT NULL,
      system_data TEXT NOT NULL DEFAULT '{}',
      last_seen TEXT NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (license_id, fingerprint_hash)
    );
    CREATE INDEX systems_last_seen ON systems (last_seen);

    CREATE VIRTUAL TABLE licenses_fts USING fts5(
      license_key, description, content='licenses', content_rowid='rid', tokenize='trigram'
    );
    CREATE TRIGGER licenses_fts_ai AFTER INSERT ON licenses BEGIN
      INSERT INTO licenses_fts (rowid, license_key, description) VALUES (new.rid, new.license_key, new.description);
    END;
    CREATE TRIGGER licenses_fts_ad AFTER DELETE ON licenses BEGIN
      INSERT INTO licenses_fts (licenses_fts, rowid, license_key, description)
        VALUES ('delete', old.rid, old.license_key, old.description);
    END;
    CREATE TRIGGER licenses_fts_au AFTER UPDATE OF license_key, description ON licenses BEGIN
      INSERT INTO licenses_fts (licenses_fts, rowid, license_key, description)
        VALUES ('delete', old.rid, old.license_key, old.description);
      INSERT INTO licenses_fts (rowid, license_key, description) VALUES (new.rid, new.license_key, new.description);
    END;
  `,
};

const DAY_MS = 86_400_000;
const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY_MS).toISOString();

/** The full row of `GET /api/licenses` (exported for the lister's tests). */
export const LICENSE_SELECT = `SELECT l.id, l.license_key, l.duration_days, l.max_machines, l.status, l.description, l.user_id,
    l.activated_at, l.expires_at, l.created_at, l.updated_at, u.email AS user_email, u.name AS user_name,
    (SELECT COUNT(*) FROM activations a WHERE a.license_id = l.id) AS machines
  FROM licenses l LEFT JOIN license_users u ON u.id = l.user_id`;

export function sqliteLicenses(db: Db, opts: { mirrorMinCandidates?: number } = {}): LicensesRepo {
  const SELECT = LICENSE_SELECT;
  const byId = db.prepare(`${SELECT} WHERE l.id = ?`);
  const byKey = db.prepare(`${SELECT} WHERE l.license_key = ?`);
  const insert = db.prepare(
    `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at, updated_at)
     VALUES (@id, @license_key, @duration_days, @max_machines, 'generated', @description, @now, @now)`,
  );
  const del = db.prepare('DELETE FROM licenses WHERE id = ?');
  const seatExists = db.prepare('SELECT 1 FROM activations WHERE license_id = ? AND fingerprint = ?').pluck();
  const seatsUsed = db.prepare('SELECT COUNT(*) FROM activations WHERE license_id = ?').pluck();
  const insertSeat = db.prepare(
    'INSERT INTO activations (license_id, fingerprint, user_id, activated_at) VALUES (?, ?, ?, ?)',
  );
  const deleteSeat = db.prepare('DELETE FROM activations WHERE license_id = ? AND fingerprint = ?');
  // The first name given wins; a later activation never renames a user.
  const upsertUser = db
    .prepare(
      `INSERT INTO license_users (id, email, name, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (email) DO UPDATE SET name = COALESCE(license_users.name, excluded.name)
       RETURNING id`,
    )
    .pluck();
  const startClock = db.prepare(
    `UPDATE licenses SET status = 'active', activated_at = @now, expires_at = @expires_at,
       user_id = COALESCE(user_id, @user_id), updated_at = @now WHERE id = @id`,
  );
  const relink = db.prepare(
    `UPDATE licenses SET status = 'active', user_id = COALESCE(user_id, @user_id), updated_at = @now
     WHERE id = @id`,
  );

  const list = licenseLister(db, SELECT, opts);

  const activateTx = db.transaction((a: ActivationInput): ActivationOutcome => {
    const lic = byKey.get(a.license_key) as LicenseRecord | undefined;
    if (!lic) return { kind: 'not_found' };
    if (lic.status === 'revoked') return { kind: 'revoked' };
    if (lic.status === 'expired' || (lic.expires_at !== null && lic.expires_at <= a.now)) {
      return { kind: 'expired' };
    }
    if (seatExists.get(lic.id, a.fingerprint) !== undefined) {
      return { kind: 'ok', license: lic, newSeat: false };
    }
    if ((seatsUsed.get(lic.id) as number) >= lic.max_machines) return { kind: 'in_use', license: lic };
    const userId = upsertUser.get(randomUUID(), a.email, a.name ?? null, a.now) as string;
    insertSeat.run(lic.id, a.fingerprint, userId, a.now);
    if (lic.activated_at === null) {
      startClock.run({
        id: lic.id,
        now: a.now,
        expires_at: plusDays(a.now, lic.duration_days),
        user_id: userId,
      });
    } else {
      relink.run({ id: lic.id, now: a.now, user_id: userId });
    }
    return { kind: 'ok', license: byId.get(lic.id) as LicenseRecord, newSeat: true };
  });

  const deactivateTx = db.transaction(
    (key: string, fingerprint: string, now: string): DeactivationOutcome => {
      const lic = byKey.get(key) as LicenseRecord | undefined;
      if (!lic) return { kind: 'not_found' };
      if (deleteSeat.run(lic.id, fingerprint).changes === 0) return { kind: 'not_activated' };
      db.prepare('UPDATE licenses SET updated_at = ? WHERE id = ?').run(now, lic.id);
      return { kind: 'ok', license: byId.get(lic.id) as LicenseRecord };
    },
  );

  const updateTx = db.transaction((id: string, patch: LicensePatch, now: string) => {
    const lic = byId.get(id) as LicenseRecord | undefined;
    if (!lic) return undefined;
    const duration = patch.duration_days ?? lic.duration_days;
    const expires = lic.activated_at ? plusDays(lic.activated_at, duration) : lic.expires_at;
    db.prepare(
      `UPDATE licenses SET duration_days = ?, status = ?, description = ?, expires_at = ?, updated_at = ?
       WHERE id = ?`,
    ).run(
      duration,
      patch.status ?? lic.status,
      patch.description !== undefined ? patch.description : lic.description,
      expires,
      now,
      id,
    );
    return byId.get(id) as LicenseRecord;
  });

  return {
    async create(l: NewLicense) {
      try {
        insert.run(l);
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'License key already exists');
        throw err;
      }
      return byId.get(l.id) as LicenseRecord;
    },
    async findById(id) {
      return byId.get(id) as LicenseRecord | undefined;
    },
    async findByKey(key) {
      return byKey.get(key) as LicenseRecord | undefined;
    },
    async list(f) {
      return list(f);
    },
    async update(id, patch, now) {
      return updateTx(id, patch, now);
    },
    async delete(id) {
      return del.run(id).changes > 0;
    },
    async activate(input) {
      // IMMEDIATE takes the write lock first, so another process cannot slip a seat in between check and insert.
      return activateTx.immediate(input);
    },
    async deactivate(key, fingerprint, now) {
      return deactivateTx.immediate(key, fingerprint, now);
    },
    async isActivated(licenseId, fingerprint) {
      return seatExists.get(licenseId, fingerprint) !== undefined;
    },
  };
}
