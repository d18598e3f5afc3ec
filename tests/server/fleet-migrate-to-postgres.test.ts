import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPIED_SQLITE_TABLES, NOT_COPIED } from '../../src-main/server/store/migrate/sqlite-to-postgres.js';
import { createSqliteStore } from '../../src-main/server/store/sqlite/index.js';
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
    groupId?: number;
    timeline?: unknown[];
    hours?: unknown;
    batchId?: string;
    webhookId?: string;
    viewerKey?: string;
    audit?: unknown[];
    alertId?: number;
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
    const sqlite = await spawnServer(dir, {
      env: { OUTPOST_API_KEYS: '', OUTPOST_WEBHOOK_ALLOW_PRIVATE: '1' },
    });
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

      // The fleet-operations tables: a group with its own heartbeat policy, the device moved into it (its
      // timeline and heartbeat hours with it), a bulk batch, a webhook, a named API key, the audit trail.
      const g = await sqlite.api(
        'POST',
        '/api/admin/groups',
        { name: 'lobby', heartbeat_interval_sec: 30, silence_threshold_sec: 90 },
        admin,
      );
      expect(g.status, g.text).toBe(200);
      state.groupId = g.body.data.id;
      const mv = await sqlite.api(
        'POST',
        '/api/admin/devices/move',
        { group: state.groupId, device_keys: [state.device.key] },
        admin,
      );
      expect(mv.status, mv.text).toBe(200);
      const bulk = await sqlite.api(
        'POST',
        '/api/admin/devices/bulk',
        { count: 2, prefix: 'moved-batch-', group: state.groupId },
        admin,
      );
      expect(bulk.status, bulk.text).toBe(200);
      state.batchId = bulk.body.data.batch_id;
      const wh = await sqlite.api(
        'POST',
        '/api/admin/webhooks',
        { url: 'http://127.0.0.1:9/hook', events: ['device.revoked'] },
        admin,
      );
      expect(wh.status, wh.text).toBe(201);
      state.webhookId = wh.body.data.id;
      const key = await sqlite.api(
        'POST',
        '/api/admin/api-keys',
        { name: 'moved-viewer', role: 'viewer' },
        admin,
      );
      expect(key.status, key.text).toBe(201);
      state.viewerKey = key.body.data.key;
      // Heartbeats are written behind: the hours are read once they are on disk, at the stop below.
      const hb = await sqlite.api(
        'POST',
        `/api/devices/${state.device.key}/online`,
        {},
        { authorization: `Bearer ${state.device.secret}` },
      );
      expect(hb.status, hb.text).toBe(200);
    } finally {
      expect(await sqlite.stop()).toBe(0);
    }
    // What the API shows, read after the stop flushed everything: the copy must show the same.
    const again = await spawnServer(dir, {
      env: { OUTPOST_API_KEYS: '', OUTPOST_WEBHOOK_ALLOW_PRIVATE: '1' },
    });
    try {
      const admin = { 'x-api-key': adminKey };
      const tl = await again.api('GET', `/api/admin/devices/${state.device.key}/timeline`, undefined, admin);
      expect(tl.status, tl.text).toBe(200);
      state.timeline = tl.body.data.events;
      expect(state.timeline!.length).toBeGreaterThanOrEqual(3);
      const hours = await again.api(
        'GET',
        `/api/admin/devices/${state.device.key}/heartbeats`,
        undefined,
        admin,
      );
      expect(hours.status, hours.text).toBe(200);
      state.hours = hours.body.data;
      expect(JSON.stringify(state.hours)).toMatch(/[1-9]/);
      const audit = await again.api('GET', '/api/admin/audit?limit=100', undefined, admin);
      expect(audit.status, audit.text).toBe(200);
      state.audit = audit.body.data.events;
      expect(JSON.stringify(state.audit)).toContain('api-key.create');
    } finally {
      expect(await again.stop()).toBe(0);
    }
    // An alert, as the evaluator stores one (the rule itself needs minutes of silence).
    const file = new Database(join(dir, 'server.db'));
    try {
      state.alertId = Number(
        file
          .prepare(
            `INSERT INTO alerts (type, target, state, first_seen, last_seen, data)
             VALUES ('quota.low', ?, 'open', ?, ?, '{"remaining":7}')`,
          )
          .run(String(state.clientId), '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
          .lastInsertRowid,
      );
    } finally {
      file.close();
    }
  }, 120_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(pgDir, { recursive: true, force: true });
    await db?.drop();
  });

  it('copies every table and the keys; the PostgreSQL server accepts the old secrets, tokens and admin key', async () => {
    const out = await migrate('--from', dir, '--database-url', db.url);
    // The enrolled device and the batch's two.
    expect(out.stdout).toMatch(/^devices: 3 rows$/m);
    expect(out.stdout).toMatch(/^sync_ops: 3 rows$/m);
    expect(out.stdout).toMatch(/^device_groups: 2 rows$/m);
    expect(out.stdout).toMatch(/^device_batches: 1 rows$/m);
    expect(out.stdout).toMatch(/^device_batch_members: 2 rows$/m);
    expect(out.stdout).toMatch(/^alerts: 1 rows$/m);
    expect(out.stdout).toMatch(/^webhooks: 1 rows$/m);
    expect(out.stdout).toMatch(/^api_keys: 1 rows$/m);
    expect(out.stdout).toMatch(/keys: jwt-secret, api-key-digests, license-signing-key, ssh-host-key/);
    expect(out.stdout).not.toContain(db.url);

    let pgsrv: ChildServer | undefined;
    try {
      pgsrv = await spawnServer(pgDir, {
        env: { OUTPOST_API_KEYS: '', OUTPOST_DATABASE_URL: db.url, OUTPOST_WEBHOOK_ALLOW_PRIVATE: '1' },
      });
      // The data dir's admin key, not a new one.
      expect(pgsrv.stdout()).not.toContain('Generated admin API key');
      const admin = { 'x-api-key': adminKey };
      expect((await pgsrv.api('GET', '/api/admin/devices', undefined, admin)).status).toBe(200);
      // The device is still in its group, with its timeline and its heartbeat hours
      // (read before this server takes a heartbeat of its own).
      const dev = await pgsrv.api('GET', `/api/admin/devices/${state.device!.key}`, undefined, admin);
      expect(dev.status, dev.text).toBe(200);
      expect(dev.body.data.group).toEqual({ id: state.groupId, name: 'lobby' });
      const tl = await pgsrv.api('GET', `/api/admin/devices/${state.device!.key}/timeline`, undefined, admin);
      expect(tl.body.data.events).toEqual(state.timeline);
      const hours = await pgsrv.api(
        'GET',
        `/api/admin/devices/${state.device!.key}/heartbeats`,
        undefined,
        admin,
      );
      expect(hours.body.data).toEqual(state.hours);
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

      // The group's heartbeat policy came along: the agent is told the group's interval.
      expect(hb.body.next_heartbeat_sec).toBe(30);
      // New rows continue after the copied ids: groups, timeline events.
      const g2 = await pgsrv.api(
        'POST',
        '/api/admin/groups',
        { name: 'after-move', heartbeat_interval_sec: 60, silence_threshold_sec: 180 },
        admin,
      );
      expect(g2.status, g2.text).toBe(200);
      expect(g2.body.data.id).toBeGreaterThan(state.groupId!);
      const note = await pgsrv.api(
        'PUT',
        `/api/admin/devices/${state.device!.key}`,
        { note: 'moved' },
        admin,
      );
      expect(note.status, note.text).toBe(200);
      const tl2 = await pgsrv.api(
        'GET',
        `/api/admin/devices/${state.device!.key}/timeline`,
        undefined,
        admin,
      );
      // The copied events kept their ids and the identity moved past them: the new one is the newest.
      expect(tl2.body.data.events[0]).toMatchObject({ type: 'note_changed' });
      expect(tl2.body.data.events.slice(1)).toEqual(state.timeline);
      // The batch and its members: its unused tokens are revoked by batch id.
      const rv = await pgsrv.api(
        'DELETE',
        `/api/admin/devices/bulk/${state.batchId}/tokens`,
        undefined,
        admin,
      );
      expect(rv.status, rv.text).toBe(200);
      expect(rv.body.data).toMatchObject({ devices: 2, revoked: 2, registered: 0 });
      // The alert, the webhook, the named key (it authenticates), the audit trail as it was.
      const alerts = await pgsrv.api('GET', '/api/admin/alerts', undefined, admin);
      expect((alerts.body.data.alerts as { id: number }[]).map((a) => a.id)).toContain(state.alertId);
      const hooks = await pgsrv.api('GET', '/api/admin/webhooks', undefined, admin);
      expect((hooks.body.data as { id: string }[]).map((w) => w.id)).toEqual([state.webhookId]);
      const asViewer = await pgsrv.api('GET', '/api/admin/devices', undefined, {
        'x-api-key': state.viewerKey!,
      });
      expect(asViewer.status, asViewer.text).toBe(200);
      const audit = await pgsrv.api('GET', '/api/admin/audit?limit=100', undefined, admin);
      const copied = new Set((state.audit as { id: number }[]).map((e) => e.id));
      expect((audit.body.data.events as { id: number }[]).filter((e) => copied.has(e.id))).toEqual(
        state.audit,
      );
      expect(audit.body.data.events.length).toBeGreaterThan(state.audit!.length);
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

  it('copies every table of server.db, or says why not', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'outpost-migrate-schema-'));
    try {
      await (await createSqliteStore(fresh)).close();
      const file = new Database(join(fresh, 'server.db'), { readonly: true });
      const tables = (
        file.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      file.close();
      const excluded = (name: string) =>
        NOT_COPIED.some((x) => (x.prefix ? name.startsWith(x.name) : name === x.name));
      // A table added to server.db must be copied (TABLES) or listed in NOT_COPIED with its reason.
      expect(tables.filter((t) => !COPIED_SQLITE_TABLES.includes(t) && !excluded(t))).toEqual([]);
      expect(COPIED_SQLITE_TABLES.filter((t) => !tables.includes(t))).toEqual([]);
      expect(COPIED_SQLITE_TABLES.filter(excluded)).toEqual([]);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
