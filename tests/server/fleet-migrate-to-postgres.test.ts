import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, withPg, type TestDatabase } from '../helpers/pg.js';
import { childEnv, spawnServer, type ChildServer } from './multi-instance-helpers.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src-main/cli/server.ts');

/**
 * `npm run server -- migrate-to-postgres`: an embedded server's data dir, filled through its API, copied to an
 * empty PostgreSQL database; a PostgreSQL server on the copy must answer for all of it without anyone
 * re-registering, logging in again or getting a new admin key. Real processes, real files, a real database; only
 * the server-postgres project runs this file (vitest.config.ts POSTGRES_ONLY).
 */
describe('migrate-to-postgres', () => {
  let dir: string;
  let pgDir: string;
  let db: TestDatabase;
  let adminKey: string;
  const state: {
    device?: { key: string; secret: string };
    token?: string;
    clientId?: number;
    license?: string;
  } = {};

  const migrate = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', CLI, 'migrate-to-postgres', ...args], {
      cwd: ROOT,
      env: childEnv(),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-migrate-src-'));
    pgDir = mkdtempSync(join(tmpdir(), 'outpost-migrate-pg-'));
    db = await createTestDatabase();
    // The embedded server generates its admin key (kept as a digest in the data dir).
    const sqlite = await spawnServer(dir, { env: { OUTPOST_API_KEYS: '' } });
    try {
      adminKey = /Generated admin API key[^:]*: (opk_\S+)/.exec(sqlite.stdout())![1]!;
      const admin = { 'x-api-key': adminKey };
      const d = await sqlite.api('POST', '/api/admin/devices', {}, admin);
      const reg = await sqlite.api('POST', `/api/devices/${d.body.device_key}/register`, {
        token_code: d.body.token_code,
      });
      expect(reg.status, reg.text).toBe(200);
      state.device = { key: d.body.device_key, secret: reg.body.device_secret };
      const u = await sqlite.api(
        'POST',
        '/api/admin/users',
        { username: 'moved-station', password: 'station-password-1', role: 'station' },
        admin,
      );
      expect(u.status, u.text).toBe(201);
      const lg = await sqlite.api('POST', '/api/auth/login', {
        username: 'moved-station',
        password: 'station-password-1',
        device_id: 'MOVED-1',
      });
      state.token = lg.body.token;
      const c = await sqlite.api('POST', '/api/admin/clients', { name: 'moved', quota: 10 }, admin);
      state.clientId = c.body.data.id;
      const push = await sqlite.api(
        'POST',
        '/api/sync/push',
        {
          device_id: 'MOVED-1',
          queue: [1, 2, 3].map((id) => ({
            id,
            uuid: `moved-op-${id}`,
            type: 'copy',
            payload: { client_id: state.clientId, uid: '04AB12CD34', status: 'pending' },
          })),
        },
        { authorization: `Bearer ${state.token}` },
      );
      expect(push.status, push.text).toBe(200);
      const lic = await sqlite.api('POST', '/api/licenses/generate', { duration_days: 365 }, admin);
      expect(lic.status, lic.text).toBe(201);
      state.license = lic.body.data.license_key;
    } finally {
      expect(await sqlite.stop()).toBe(0);
    }
  }, 120_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(pgDir, { recursive: true, force: true });
    await db?.drop();
  });

  it('copies every table and the keys; the PostgreSQL server accepts the old secrets, tokens and admin key', async () => {
    const out = await migrate('--from', dir, '--database-url', db.url);
    expect(out.stdout).toMatch(/^devices: 1 rows$/m);
    expect(out.stdout).toMatch(/^sync_ops: 3 rows$/m);
    expect(out.stdout).toMatch(/keys: jwt-secret, api-key-digests, license-signing-key, ssh-host-key/);
    expect(out.stdout).not.toContain(db.url);

    let pgsrv: ChildServer | undefined;
    try {
      pgsrv = await spawnServer(pgDir, { env: { OUTPOST_API_KEYS: '', OUTPOST_DATABASE_URL: db.url } });
      // The data dir's admin key, not a new one.
      expect(pgsrv.stdout()).not.toContain('Generated admin API key');
      const admin = { 'x-api-key': adminKey };
      expect((await pgsrv.api('GET', '/api/admin/devices', undefined, admin)).status).toBe(200);
      // The device keeps its secret: no re-registration.
      const hb = await pgsrv.api(
        'POST',
        `/api/devices/${state.device!.key}/online`,
        {},
        {
          authorization: `Bearer ${state.device!.secret}`,
        },
      );
      expect(hb.status, hb.text).toBe(200);
      // A token signed by the embedded server is still valid (same JWT secret), and the user is the same.
      const refreshed = await pgsrv.api('POST', '/api/auth/refresh', undefined, {
        authorization: `Bearer ${state.token}`,
      });
      expect(refreshed.status, refreshed.text).toBe(200);
      // Quota carried over (10 - 3), and op idempotency with it: a replayed op is not counted twice.
      const clients = await pgsrv.api('GET', '/api/admin/clients', undefined, admin);
      const moved = (clients.body.data as { id: number; remaining: number }[]).find(
        (c) => c.id === state.clientId,
      );
      expect(moved?.remaining).toBe(7);
      const replay = await pgsrv.api(
        'POST',
        '/api/sync/push',
        {
          device_id: 'MOVED-1',
          queue: [
            {
              id: 1,
              uuid: 'moved-op-1',
              type: 'copy',
              payload: { client_id: state.clientId, uid: '04AB12CD34', status: 'pending' },
            },
          ],
        },
        { authorization: `Bearer ${refreshed.body.token}` },
      );
      expect(replay.status, replay.text).toBe(200);
      const after = await pgsrv.api('GET', '/api/admin/clients', undefined, admin);
      expect(
        (after.body.data as { id: number; remaining: number }[]).find((c) => c.id === state.clientId)
          ?.remaining,
      ).toBe(7);
      // The license is found, and new rows get fresh ids after the copied ones.
      const lic = await pgsrv.api(
        'GET',
        `/api/licenses?search=${encodeURIComponent(state.license!)}`,
        undefined,
        admin,
      );
      expect(lic.status, lic.text).toBe(200);
      expect(JSON.stringify(lic.body)).toContain(state.license!);
      const c2 = await pgsrv.api('POST', '/api/admin/clients', { name: 'new', quota: 1 }, admin);
      expect(c2.status, c2.text).toBe(201);
      expect(c2.body.data.id).toBeGreaterThan(state.clientId!);
    } finally {
      await pgsrv?.stop();
    }
  });

  it('refuses a database that already holds data, and changes nothing there', async () => {
    const before = await withPg(
      db.url,
      async (c) => (await c.query('SELECT count(*)::int AS n FROM sync_ops')).rows[0].n,
    );
    await expect(migrate('--from', dir, '--database-url', db.url)).rejects.toMatchObject({
      stderr: expect.stringMatching(/not empty/),
    });
    const after = await withPg(
      db.url,
      async (c) => (await c.query('SELECT count(*)::int AS n FROM sync_ops')).rows[0].n,
    );
    expect(after).toBe(before);
  });
});
