import Database from 'better-sqlite3';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TestServer } from '../helpers/server.js';

/** Shared steps for the seed 004 device tests (not a test file itself). */
export const admin = (srv: TestServer) => ({ 'x-api-key': srv.apiKey });
export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

export async function createDevice(
  srv: TestServer,
  body: Record<string, unknown> = {},
): Promise<{ device_key: string; token_code: string }> {
  const r = await srv.api('POST', '/api/admin/devices', body, admin(srv));
  expect(r.status).toBe(200);
  return r.body;
}

export async function register(
  srv: TestServer,
  key: string,
  token: string,
  info: object = {},
): Promise<string> {
  const r = await srv.api('POST', `/api/devices/${key}/register`, { token_code: token, ...info });
  expect(r.status, r.text).toBe(200);
  return r.body.device_secret as string;
}

/** A created and registered device. */
export async function enrolled(srv: TestServer, key?: string): Promise<{ key: string; secret: string }> {
  const d = await createDevice(srv, key ? { device_key: key } : {});
  return { key: d.device_key, secret: await register(srv, d.device_key, d.token_code) };
}

/**
 * Edits a device row directly in the server's SQLite file (a second connection; WAL allows it), for states that
 * would otherwise need waiting: an expired token, a last heartbeat long ago.
 */
export async function editDeviceRow(srv: TestServer, key: string, set: Record<string, string | null>) {
  await srv.ctx.store.devices.flush();
  const db = new Database(join(srv.dataDir, 'server.db'));
  try {
    const cols = Object.keys(set);
    const info = db
      .prepare(`UPDATE devices SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE device_key = @key`)
      .run({ ...set, key });
    expect(info.changes).toBe(1);
  } finally {
    db.close();
  }
}

export function readDeviceRow(srv: TestServer, key: string): Record<string, unknown> | undefined {
  const db = new Database(join(srv.dataDir, 'server.db'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM devices WHERE device_key = ?').get(key) as Record<string, unknown>;
  } finally {
    db.close();
  }
}
