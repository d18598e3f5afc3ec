import { AppError } from '../../errors.js';
import type { ClientRecord, ClientsRepo } from '../clients-repo.js';
import { isUniqueViolation, type Db } from './db.js';

export function sqliteClients(db: Db): ClientsRepo {
  const insert = db.prepare(
    `INSERT INTO clients (name, remaining, used, created_at, updated_at) VALUES (?, ?, 0, ?, ?)`,
  );
  const byId = db.prepare('SELECT * FROM clients WHERE id = ?');
  const all = db.prepare('SELECT * FROM clients ORDER BY id');
  const setRemaining = db.prepare('UPDATE clients SET remaining = ?, updated_at = ? WHERE id = ?');
  // Conditional: a negative `add` can take remaining down to 0, never below.
  const addRemaining = db.prepare(
    'UPDATE clients SET remaining = remaining + ?, updated_at = ? WHERE id = ? AND remaining + ? >= 0',
  );
  const rename = db.prepare('UPDATE clients SET name = ?, updated_at = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM clients WHERE id = ? AND used = 0 RETURNING *');
  return {
    async create(name, quota) {
      const now = new Date().toISOString();
      try {
        const info = insert.run(name, quota, now, now);
        return byId.get(info.lastInsertRowid) as ClientRecord;
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `Client '${name}' already exists`);
        throw err;
      }
    },
    async list() {
      return all.all() as ClientRecord[];
    },
    async get(id) {
      return byId.get(id) as ClientRecord | undefined;
    },
    async setRemaining(id, remaining) {
      const info = setRemaining.run(remaining, new Date().toISOString(), id);
      return info.changes === 0 ? undefined : (byId.get(id) as ClientRecord);
    },
    async addRemaining(id, delta) {
      const info = addRemaining.run(delta, new Date().toISOString(), id, delta);
      const client = byId.get(id) as ClientRecord | undefined;
      return { client, belowZero: info.changes === 0 && client !== undefined };
    },
    async rename(id, name) {
      try {
        const info = rename.run(name, new Date().toISOString(), id);
        return info.changes === 0 ? undefined : (byId.get(id) as ClientRecord);
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', `Client '${name}' already exists`);
        throw err;
      }
    },
    async remove(id) {
      const gone = remove.get(id) as ClientRecord | undefined;
      if (gone) return { client: gone, inUse: false };
      const client = byId.get(id) as ClientRecord | undefined;
      return { client, inUse: client !== undefined };
    },
  };
}
