import { AppError } from '../../errors.js';
import type { NewUser, UserRecord, UsersRepo } from '../users-repo.js';
import { isUniqueViolation, type Db } from './db.js';

export function sqliteUsers(db: Db): UsersRepo {
  const byName = db.prepare('SELECT * FROM users WHERE username = ?');
  const byId = db.prepare('SELECT * FROM users WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO users (username, name, email, role, password_hash, created_at, updated_at)
     VALUES (@username, @name, @email, @role, @password_hash, @now, @now)`,
  );
  return {
    async count() {
      return (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
    },
    async findByUsername(username) {
      return byName.get(username) as UserRecord | undefined;
    },
    async findById(id) {
      return byId.get(id) as UserRecord | undefined;
    },
    async create(user: NewUser) {
      const now = new Date().toISOString();
      try {
        const info = insert.run({ name: null, email: null, ...user, now });
        return byId.get(info.lastInsertRowid) as UserRecord;
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `User '${user.username}' already exists`);
        throw err;
      }
    },
    async list() {
      return db.prepare('SELECT * FROM users ORDER BY id').all() as UserRecord[];
    },
  };
}
