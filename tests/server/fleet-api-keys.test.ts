import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { TEST_STORE } from '../helpers/server.js';
import {
  admin,
  createUser,
  eventually,
  login,
  spawnServer,
  type ChildServer,
} from './multi-instance-helpers.js';

/**
 * Named API keys and users' roles across two real server processes on one store. The auth cache TTL is a minute,
 * so only the runtime's invalidation bus can make the other instance refuse within the test's bound: a revoked
 * key (or a demoted user) must stop working on B although B had just accepted it. The 1 s figure itself is the
 * bus's, measured with an injected clock in the runtime suites.
 */
describe(`two instances on one ${TEST_STORE} store: API keys and roles`, () => {
  const dirs: string[] = [];
  let db: TestDatabase | undefined;
  let a: ChildServer;
  let b: ChildServer;

  beforeAll(async () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'outpost-keys-')));
    const env: Record<string, string> = { OUTPOST_AUTH_CACHE_TTL_MS: '60000' };
    if (TEST_STORE === 'postgres') {
      db = await createTestDatabase();
      env.OUTPOST_DATABASE_URL = db.url;
      dirs.push(mkdtempSync(join(tmpdir(), 'outpost-keys-')));
    }
    [a, b] = await Promise.all([
      spawnServer(dirs[0]!, { env }),
      spawnServer(dirs[dirs.length - 1]!, { env }),
    ]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db?.drop();
  });

  it('a key created on A works on B at once; revoked on A, B refuses it although it had it cached', async () => {
    const made = await a.api('POST', '/api/admin/api-keys', { name: 'fleet key', role: 'viewer' }, admin);
    expect(made.status, made.text).toBe(201);
    const key = { 'x-api-key': made.body.data.key as string };
    // B never saw the key before: it must not have cached a miss that outlives the creation.
    const first = await b.api('GET', '/api/admin/users', undefined, key);
    expect(first.status, first.text).toBe(200);
    expect((await b.api('GET', '/api/admin/users', undefined, key)).status).toBe(200);

    const del = await a.api('DELETE', `/api/admin/api-keys/${made.body.data.id}`, undefined, admin);
    expect(del.status, del.text).toBe(200);
    const refused = await eventually(
      () => b.api('GET', '/api/admin/users', undefined, key),
      (r) => r.status !== 200,
    );
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('UNAUTHORIZED');
    // The change is on the trail, as seen from B, with its actor.
    const trail = await b.api('GET', '/api/admin/audit?action=api-key.revoke', undefined, admin);
    expect(trail.body.data.events[0]).toMatchObject({ actor: 'environment', target: 'fleet key' });
  });

  it('an operator demoted to viewer on A may no longer operate on B', async () => {
    await createUser(a, 'fleet-op', 'operator');
    const token = { authorization: `Bearer ${await login(a, 'fleet-op')}` };
    const ok = await b.api('POST', '/api/admin/clients', { name: 'Fleet op client', quota: 1 }, token);
    expect(ok.status, ok.text).toBe(201);
    const users = await a.api('GET', '/api/admin/users', undefined, admin);
    const id = (users.body.data as { id: number; username: string }[]).find(
      (u) => u.username === 'fleet-op',
    )!.id;
    expect((await a.api('PUT', `/api/admin/users/${id}`, { role: 'viewer' }, admin)).status).toBe(200);
    const refused = await eventually(
      () => b.api('POST', '/api/admin/clients', { name: `Fleet op ${Date.now()}`, quota: 1 }, token),
      (r) => r.status !== 201,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');
    expect((await b.api('GET', '/api/admin/clients', undefined, token)).status).toBe(200);
  });
});
