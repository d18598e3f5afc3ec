import { AppError } from '../../errors.js';
import type { ApiKeyRecord, ApiKeysRepo } from '../api-keys-repo.js';
import { isUniqueViolation, type Queryable } from './db.js';

const COLS = 'id, name, role, key_digest, created_at, created_by, last_used_at';

export function pgApiKeys(db: Queryable): ApiKeysRepo {
  return {
    async create(key) {
      try {
        const rows = await db.query<ApiKeyRecord>(
          `INSERT INTO api_keys (name, role, key_digest, created_at, created_by)
           VALUES ($1, $2, $3, $4, $5) RETURNING ${COLS}`,
          [key.name, key.role, key.key_digest, key.now, key.created_by],
        );
        return rows[0]!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `An API key named '${key.name}' exists`);
        throw err;
      }
    },
    async findByDigest(digest) {
      const rows = await db.query<ApiKeyRecord>(
        `SELECT ${COLS} FROM api_keys WHERE key_digest = $1`,
        [digest],
        'api_keys_by_digest',
      );
      return rows[0];
    },
    async list() {
      return db.query<ApiKeyRecord>(`SELECT ${COLS} FROM api_keys ORDER BY id`);
    },
    async remove(id) {
      return (await db.query<ApiKeyRecord>(`DELETE FROM api_keys WHERE id = $1 RETURNING ${COLS}`, [id]))[0];
    },
    async touch(id, now, notBefore) {
      await db.query(
        'UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)',
        [now, id, notBefore],
      );
    },
  };
}
