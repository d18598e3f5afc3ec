import { AppError } from '../../errors.js';
import type { ClientRecord, ClientsRepo } from '../clients-repo.js';
import { isUniqueViolation, type Queryable } from './db.js';

const COLS = 'id, name, remaining, used, created_at, updated_at';

export function pgClients(db: Queryable): ClientsRepo {
  const one = async (sql: string, values: unknown[]) =>
    (await db.query<ClientRecord>(sql, values))[0] as ClientRecord | undefined;
  return {
    async create(name, quota) {
      const now = new Date().toISOString();
      try {
        return (await one(
          `INSERT INTO clients (name, remaining, used, created_at, updated_at) VALUES ($1, $2, 0, $3, $3)
           RETURNING ${COLS}`,
          [name, quota, now],
        ))!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `Client '${name}' already exists`);
        throw err;
      }
    },
    async list() {
      return db.query<ClientRecord>(`SELECT ${COLS} FROM clients ORDER BY id`);
    },
    async get(id) {
      return one(`SELECT ${COLS} FROM clients WHERE id = $1`, [id]);
    },
    async setRemaining(id, remaining) {
      return one(`UPDATE clients SET remaining = $1, updated_at = $2 WHERE id = $3 RETURNING ${COLS}`, [
        remaining,
        new Date().toISOString(),
        id,
      ]);
    },
    async addRemaining(id, delta) {
      // One conditional UPDATE: a concurrent change on another instance is waited for (row lock) and the
      // condition re-checked on the new value, so remaining never goes below 0 under READ COMMITTED.
      const changed = await one(
        `UPDATE clients SET remaining = remaining + $1, updated_at = $2 WHERE id = $3 AND remaining + $1 >= 0
         RETURNING ${COLS}`,
        [delta, new Date().toISOString(), id],
      );
      if (changed) return { client: changed, belowZero: false };
      const client = await one(`SELECT ${COLS} FROM clients WHERE id = $1`, [id]);
      return { client, belowZero: client !== undefined };
    },
    async rename(id, name) {
      try {
        return await one(`UPDATE clients SET name = $1, updated_at = $2 WHERE id = $3 RETURNING ${COLS}`, [
          name,
          new Date().toISOString(),
          id,
        ]);
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `Client '${name}' already exists`);
        throw err;
      }
    },
    async remove(id) {
      // Conditional on `used = 0` in the same statement: a copy applied meanwhile on another instance wins.
      const gone = await one(`DELETE FROM clients WHERE id = $1 AND used = 0 RETURNING ${COLS}`, [id]);
      if (gone) return { client: gone, inUse: false };
      const client = await one(`SELECT ${COLS} FROM clients WHERE id = $1`, [id]);
      return { client, inUse: client !== undefined };
    },
  };
}
