import { expect } from 'vitest';
import { serverSql } from '../helpers/pg.js';
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

/** Columns a heartbeat writes: on PostgreSQL they live in the narrow device_heartbeats table. */
const HEARTBEAT_COLUMNS = new Set([
  'last_seen',
  'ip_address',
  'ip_lan',
  'ip_public',
  'mac',
  'cluster_ip',
  'note',
]);

/**
 * Edits a device row directly in the server's database (a second connection), for states that would otherwise
 * need waiting: an expired token, a last heartbeat long ago.
 */
export async function editDeviceRow(srv: TestServer, key: string, set: Record<string, string | null>) {
  await srv.ctx.store.devices.flush();
  const cols = Object.keys(set);
  const tables = srv.databaseUrl
    ? [
        ['devices', cols.filter((c) => !HEARTBEAT_COLUMNS.has(c))] as const,
        ['device_heartbeats', cols.filter((c) => HEARTBEAT_COLUMNS.has(c))] as const,
      ]
    : [['devices', cols] as const];
  for (const [table, these] of tables) {
    if (these.length === 0) continue;
    const rows = await serverSql(
      srv,
      `UPDATE ${table} SET ${these.map((c) => `${c} = ?`).join(', ')} WHERE device_key = ? RETURNING device_key`,
      [...these.map((c) => set[c]), key],
    );
    expect(rows).toHaveLength(1);
  }
}

export async function readDeviceRow(
  srv: TestServer,
  key: string,
): Promise<Record<string, unknown> | undefined> {
  const from = srv.databaseUrl ? 'devices JOIN device_heartbeats USING (device_key)' : 'devices';
  return (await serverSql(srv, `SELECT * FROM ${from} WHERE device_key = ?`, [key]))[0];
}
