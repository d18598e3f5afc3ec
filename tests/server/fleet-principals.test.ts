import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { TEST_STORE } from '../helpers/server.js';
import type { TestSocket } from './realtime-client.js';
import {
  admin,
  createUser,
  eventually,
  login,
  socketOn,
  spawnServer,
  type ChildServer,
} from './multi-instance-helpers.js';

/**
 * Users deleted or disabled, and station bindings released, on one instance must be refused on every other at
 * once, not after each instance's cache expires. Two real server processes on one store (one SQLite data dir in
 * the unit project, one PostgreSQL database in server-postgres). The user cache TTL is set to a minute, so only
 * the runtime's invalidation bus can make the other instance refuse within the test's bound: without it, B would
 * keep accepting for 60 s.
 */
describe(`two instances on one ${TEST_STORE} store: user changes reach the other instance`, () => {
  const dirs: string[] = [];
  let db: TestDatabase | undefined;
  let a: ChildServer;
  let b: ChildServer;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'outpost-principals-')));
    const env: Record<string, string> = { OUTPOST_AUTH_CACHE_TTL_MS: '60000' };
    if (TEST_STORE === 'postgres') {
      db = await createTestDatabase();
      env.OUTPOST_DATABASE_URL = db.url;
      // Two data dirs, one database: whatever is shared must come from the database.
      dirs.push(mkdtempSync(join(tmpdir(), 'outpost-principals-')));
    }
    [a, b] = await Promise.all([
      spawnServer(dirs[0]!, { env }),
      spawnServer(dirs[dirs.length - 1]!, { env }),
    ]);
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets) await s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db?.drop();
  });

  const refresh = (on: ChildServer, token: string) =>
    on.api('POST', '/api/auth/refresh', undefined, { authorization: `Bearer ${token}` });

  async function userId(username: string): Promise<number> {
    const r = await a.api('GET', '/api/admin/users', undefined, admin);
    expect(r.status, r.text).toBe(200);
    const u = (r.body.data as { id: number; username: string }[]).find((x) => x.username === username);
    return u!.id;
  }

  it('a user disabled on A is refused on B, and B ends its sockets; re-enabled on A, accepted on B again', async () => {
    await createUser(a, 'fleet-disabled', 'station');
    const token = await login(a, 'fleet-disabled');
    // B has the user cached as enabled (for a minute) and a socket open for it.
    expect((await refresh(b, token)).status).toBe(200);
    const s = await socketOn(b, token);
    sockets.push(s);
    const id = await userId('fleet-disabled');

    const off = await a.api('PATCH', `/api/admin/users/${id}`, { disabled: true }, admin);
    expect(off.status, off.text).toBe(200);
    const refused = await eventually(
      () => refresh(b, token),
      (r) => r.status !== 200,
    );
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('INVALID_TOKEN');
    expect((await s.waitClose()).code).toBe(4003);
    expect(s.has('error')).toBe(true);

    const on = await a.api('PATCH', `/api/admin/users/${id}`, { disabled: false }, admin);
    expect(on.status, on.text).toBe(200);
    const back = await eventually(
      () => refresh(b, token),
      (r) => r.status === 200,
    );
    expect(back.status, back.text).toBe(200);
  });

  it('a user deleted on B is refused on A, and A ends its sockets', async () => {
    await createUser(a, 'fleet-deleted', 'station');
    const token = await login(b, 'fleet-deleted');
    expect((await refresh(a, token)).status).toBe(200);
    const s = await socketOn(a, token);
    sockets.push(s);
    const id = await userId('fleet-deleted');
    expect((await b.api('DELETE', `/api/admin/users/${id}`, undefined, admin)).status).toBe(200);
    const refused = await eventually(
      () => refresh(a, token),
      (r) => r.status !== 200,
    );
    expect(refused.status).toBe(401);
    // Only the bus tells A: its socket was authenticated before the deletion and reads nothing since.
    expect((await s.waitClose()).code).toBe(4003);
  });

  it('a station binding released on A lets another user claim the device id on B', async () => {
    await createUser(a, 'fleet-owner-1', 'station');
    await createUser(a, 'fleet-owner-2', 'station');
    await login(b, 'fleet-owner-1', 'fleet-station-7');
    // B has the owner cached: the second user is refused there.
    const taken = await b.api('POST', '/api/auth/login', {
      username: 'fleet-owner-2',
      password: 'station-password-1',
      device_id: 'fleet-station-7',
    });
    expect(taken.status).toBe(403);
    const rel = await a.api('DELETE', '/api/admin/station-bindings/fleet-station-7', undefined, admin);
    expect(rel.status, rel.text).toBe(200);
    const claimed = await eventually(
      () =>
        b.api('POST', '/api/auth/login', {
          username: 'fleet-owner-2',
          password: 'station-password-1',
          device_id: 'fleet-station-7',
        }),
      (r) => r.status === 200,
    );
    expect(claimed.status, claimed.text).toBe(200);
  });
});
