import { AppError } from '../../errors.js';
import type { NewUser, UserRecord, UsersRepo } from '../users-repo.js';
import { isUniqueViolation, type Db } from './db.js';

/** SQLite keeps booleans as 0/1. */
type UserRow = Omit<UserRecord, 'disabled'> & { disabled: number };

function toUser(row: UserRow | undefined): UserRecord | undefined {
  return row ? { ...row, disabled: row.disabled === 1 } : undefined;
}

export function sqliteUsers(db: Db): UsersRepo {
  const byName = db.prepare('SELECT * FROM users WHERE username = ?');
  const byId = db.prepare('SELECT * FROM users WHERE id = ?');
  const setDisabled = db.prepare('UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM users WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO users (username, name, email, role, password_hash, created_at, updated_at)
     VALUES (@username, @name, @email, @role, @password_hash, @now, @now)`,
  );
  return {
    async count() {
      return (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
    },
    async findByUsername(username) {
      return toUser(byName.get(username) as UserRow | undefined);
    },
    async findById(id) {
      return toUser(byId.get(id) as UserRow | undefined);
    },
    async create(user: NewUser) {
      const now = new Date().toISOString();
      try {
        const info = insert.run({ name: null, email: null, ...user, now });
        return toUser(byId.get(info.lastInsertRowid) as UserRow)!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `User '${user.username}' already exists`);
        throw err;
      }
    },
    async list() {
      return (db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[]).map((r) => toUser(r)!);
    },
    async setDisabled(id, disabled) {
      setDisabled.run(disabled ? 1 : 0, new Date().toISOString(), id);
      return toUser(byId.get(id) as UserRow | undefined);
    },
    async update(id, change) {
      const sets = ['updated_at = @now'];
      const params: Record<string, unknown> = { id, now: new Date().toISOString() };
      if (change.role !== undefined) {
        sets.push('role = @role');
        params.role = change.role;
      }
      if (change.disabled !== undefined) {
        sets.push('disabled = @disabled');
        params.disabled = change.disabled ? 1 : 0;
      }
      if (change.password_hash !== undefined) {
        sets.push('password_hash = @password_hash');
        params.password_hash = change.password_hash;
      }
      const row = db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE id = @id RETURNING *`).get(params);
      return toUser(row as UserRow | undefined);
    },
    async remove(id) {
      return remove.run(id).changes > 0;
    },
  };
}
