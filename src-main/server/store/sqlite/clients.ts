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
  };
}
