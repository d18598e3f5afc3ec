import { AppError } from '../../errors.js';
import type { NewUser, UserRecord, UsersRepo } from '../users-repo.js';
import { isUniqueViolation, type Queryable } from './db.js';

const COLS = 'id, username, name, email, role, password_hash, disabled, created_at, updated_at';

export function pgUsers(db: Queryable): UsersRepo {
  const one = async (sql: string, values: unknown[]) =>
    (await db.query<UserRecord>(sql, values))[0] as UserRecord | undefined;
  return {
    async count() {
      return (await db.query<{ n: number }>('SELECT count(*) AS n FROM users'))[0]!.n;
    },
    async findByUsername(username) {
      // Case-insensitive for ASCII, as SQLite's NOCASE; the unique index is on the same expression.
      return one(`SELECT ${COLS} FROM users WHERE outpost_ascii_lower(username) = outpost_ascii_lower($1)`, [
        username,
      ]);
    },
    async findById(id) {
      return one(`SELECT ${COLS} FROM users WHERE id = $1`, [id]);
    },
    async create(user: NewUser) {
      const now = new Date().toISOString();
      try {
        return (await one(
          `INSERT INTO users (username, name, email, role, password_hash, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ${COLS}`,
          [user.username, user.name ?? null, user.email ?? null, user.role, user.password_hash, now],
        ))!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `User '${user.username}' already exists`);
        throw err;
      }
    },
    async list() {
      return db.query<UserRecord>(`SELECT ${COLS} FROM users ORDER BY id`);
    },
    async setDisabled(id, disabled) {
      return one(`UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3 RETURNING ${COLS}`, [
        disabled,
        new Date().toISOString(),
        id,
      ]);
    },
    async update(id, change) {
      const sets = ['updated_at = $2'];
      const values: unknown[] = [id, new Date().toISOString()];
      for (const col of ['role', 'disabled', 'password_hash'] as const) {
        if (change[col] === undefined) continue;
        values.push(change[col]);
        sets.push(`${col} = $${values.length}`);
      }
      return one(`UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLS}`, values);
    },
    async remove(id) {
      // station_bindings rows go with it (ON DELETE CASCADE).
      return (await db.query('DELETE FROM users WHERE id = $1 RETURNING 1', [id])).length > 0;
    },
  };
}
