/** Shared bits for the seed 002 license tests: admin calls, fingerprints, direct access to server.db. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { TestServer } from '../helpers/server.js';

/** A valid 64-hex machine fingerprint derived from a label. */
export const fp = (label: string) => createHash('sha256').update(label).digest('hex');

export const admin = (srv: TestServer) => ({ 'X-API-Key': srv.apiKey });

export async function generate(
  srv: TestServer,
  body: Record<string, unknown> = { duration_days: 365 },
): Promise<{ id: string; license_key: string; [k: string]: unknown }> {
  const r = await srv.api('POST', '/api/licenses/generate', body, admin(srv));
  if (r.status !== 201) throw new Error(`generate: ${r.status} ${r.text}`);
  return r.body.data;
}

export async function activate(
  srv: TestServer,
  key: string,
  fingerprint: string,
  email = 'user@example.com',
) {
  return srv.api('POST', '/api/licenses/activate', {
    license_key: key,
    user_email: email,
    system_fingerprint: fingerprint,
  });
}

/** Runs SQL against the server's own SQLite file (WAL: safe next to the running server). */
export function withDb<T>(srv: TestServer, fn: (db: Database.Database) => T): T {
  const db = new Database(join(srv.dataDir, 'server.db'));
  db.pragma('busy_timeout = 5000');
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
