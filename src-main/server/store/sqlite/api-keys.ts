import { AppError } from '../../errors.js';
import type { ApiKeyRecord, ApiKeysRepo } from '../api-keys-repo.js';
import { isUniqueViolation, type Db } from './db.js';

export function sqliteApiKeys(db: Db): ApiKeysRepo {
  const insert = db.prepare(
    `INSERT INTO api_keys (name, role, key_digest, created_at, created_by)
     VALUES (@name, @role, @key_digest, @now, @created_by) RETURNING *`,
  );
  const byDigest = db.prepare('SELECT * FROM api_keys WHERE key_digest = ?');
  const all = db.prepare('SELECT * FROM api_keys ORDER BY id');
  const remove = db.prepare('DELETE FROM api_keys WHERE id = ? RETURNING *');
  const touch = db.prepare(
    'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
  );
  return {
    async create(key) {
      try {
        return insert.get(key) as ApiKeyRecord;
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `An API key named '${key.name}' exists`);
        throw err;
      }
    },
    async findByDigest(digest) {
      return byDigest.get(digest) as ApiKeyRecord | undefined;
    },
    async list() {
      return all.all() as ApiKeyRecord[];
    },
    async remove(id) {
      return remove.get(id) as ApiKeyRecord | undefined;
    },
    async touch(id, now, notBefore) {
      touch.run(now, id, notBefore);
    },
  };
}
