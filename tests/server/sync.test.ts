import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';
import { createClient, createUser, login } from './realtime-client.js';

describe('sync push/pull and client quotas', () => {
  let srv: TestServer;
  let tokenA: string;
  let tokenB: string;
  const admin = () => ({ 'x-api-key': srv.apiKey });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const push = (token: string, device_id: string, queue: unknown[]) =>
    srv.api('POST', '/api/sync/push', { device_id, queue }, bearer(token));
  const copy = (id: number | string, client_id: number, uid = '04AB12CD34', uuid?: string) => ({
    id,
    ...(uuid ? { uuid } : {}),
    type: 'copy',
    payload: { client_id, uid, status: 'pending' },
  });
  const remaining = async (clientId: number) =>
    (
      (await srv.api('GET', '/api/admin/clients', undefined, admin())).body.data as {
        id: number;
        remaining: number;
      }[]
    ).find((c) => c.id === clientId)!.remaining;
  const copies = async (clientId: number) =>
    (await srv.api('GET', `/api/admin/copies?client_id=${clientId}&limit=10000`, undefined, admin())).body;

  beforeAll(async () => {
    srv = await startTestServer();
    const st = await createUser(srv, 'station1');
    tokenA = await login(srv, st, 'DEV-A');
    tokenB = await login(srv, st, 'DEV-B');
  });
  afterAll(async () => srv?.dispose());

  it('pushes copies: results in queue order, quota decremented, copies stored with device, uid, client, uuid, time', async () => {
    const c = await createClient(srv, 'basic', 10);
    const res = await push(tokenA, 'DEV-A', [
      copy(1, c, '04ab12cd34', 'uuid-basic-1'),
      copy(2, c),
      copy(3, c),
    ]);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toEqual([
      { id: 1, uuid: 'uuid-basic-1', status: 'synced' },
      { id: 2, status: 'synced' },
      { id: 3, status: 'synced' },
    ]);
    expect(typeof res.body.server_time).toBe('string');
    expect(await remaining(c)).toBe(7);
    const stored = await copies(c);
    expect(stored.total).toBe(3);
    expect(stored.data[0]).toMatchObject({
      client_id: c,
      device_id: 'DEV-A',
      uid: '04AB12CD34',
      op_uuid: 'uuid-basic-1',
      op_id: '1',
    });
    expect(Date.parse(stored.data[0].created_at)).not.toBeNaN();
  });

  it('exactly once: replaying the same batch returns the first results (duplicate) and takes quota once', async () => {
    const c = await createClient(srv, 'replay', 5);
    const batch = [
      copy(10, c),
      copy(11, c),
      { id: 12, type: 'write', payload: { uid: '04AABBCC', data: 'x' } },
    ];
    const first = await push(tokenA, 'DEV-A', batch);
    const second = await push(tokenA, 'DEV-A', batch);
    expect(first.body.data.map((r: { status: string }) => r.status)).toEqual(['synced', 'synced', 'synced']);
    expect(second.body.data).toEqual(first.body.data.map((r: object) => ({ ...r, duplicate: true })));
    expect(await remaining(c)).toBe(3);
    expect((await copies(c)).total).toBe(2);
  });

  it('uuid is the identity when sent: the same uuid under a different id is a replay', async () => {
    const c = await createClient(srv, 'uuid-id', 5);
    await push(tokenA, 'DEV-A', [copy(1, c, '04AB12CD34', 'same-uuid-123')]);
    const again = await push(tokenA, 'DEV-A', [copy(99, c, '04AB12CD34', 'same-uuid-123')]);
    expect(again.body.data).toEqual([{ id: 99, uuid: 'same-uuid-123', status: 'synced', duplicate: true }]);
    expect(await remaining(c)).toBe(4);
  });

  it('a duplicate uuid inside one batch is applied once', async () => {
    const c = await createClient(srv, 'dup-in-batch', 5);
    const res = await push(tokenA, 'DEV-A', [
      copy(1, c, '04AB12CD34', 'in-batch-1'),
      copy(2, c, '04AB12CD34', 'in-batch-1'),
    ]);
    expect(res.body.data[1]).toMatchObject({ status: 'synced', duplicate: true });
    expect(await remaining(c)).toBe(4);
  });

  it('without uuid the identity is (device_id, id): the same id from two devices is two ops', async () => {
    const c = await createClient(srv, 'two-devices', 5);
    await push(tokenA, 'DEV-A', [copy(500, c)]);
    const b = await push(tokenB, 'DEV-B', [copy(500, c)]);
    expect(b.body.data[0]).toEqual({ id: 500, status: 'synced' });
    expect(await remaining(c)).toBe(3);
  });

  it('quota never goes below 0 under concurrent pushes from two devices (Promise.all)', async () => {
    const c = await createClient(srv, 'race', 25);
    const pushes = [];
    for (let p = 0; p < 10; p++) {
      for (const [token, dev] of [
        [tokenA, 'DEV-A'],
        [tokenB, 'DEV-B'],
      ] as const) {
        pushes.push(
          push(
            token,
            dev,
            Array.from({ length: 5 }, (_, i) => copy(`race-${p}-${i}`, c)),
          ),
        );
      }
    }
    const results = (await Promise.all(pushes)).flatMap(
      (r) => r.body.data as { status: string; error?: string }[],
    );
    expect(results).toHaveLength(100);
    expect(results.filter((r) => r.status === 'synced')).toHaveLength(25);
    expect(results.filter((r) => r.error === 'QUOTA_EXCEEDED')).toHaveLength(75);
    expect(await remaining(c)).toBe(0);
    expect((await copies(c)).total).toBe(25);
  });

  it('over quota → that op failed QUOTA_EXCEEDED; a replay keeps the first (failed) result even after quota is added', async () => {
    const c = await createClient(srv, 'over', 1);
    const res = await push(tokenA, 'DEV-A', [copy('o1', c), copy('o2', c)]);
    expect(res.body.data).toEqual([
      { id: 'o1', status: 'synced' },
      { id: 'o2', status: 'failed', error: 'QUOTA_EXCEEDED', message: 'Quota exceeded' },
    ]);
    await srv.api('PUT', `/api/admin/clients/${c}`, { add: 5 }, admin());
    const replay = await push(tokenA, 'DEV-A', [copy('o2', c)]);
    expect(replay.body.data[0]).toMatchObject({ status: 'failed', error: 'QUOTA_EXCEEDED', duplicate: true });
    expect(await remaining(c)).toBe(5);
  });

  it('unknown client fails only that op with CLIENT_NOT_FOUND', async () => {
    const c = await createClient(srv, 'known', 5);
    const res = await push(tokenA, 'DEV-A', [copy('k1', c), copy('k2', 999_999), copy('k3', c)]);
    expect(res.body.data.map((r: { status: string; error?: string }) => r.error ?? r.status)).toEqual([
      'synced',
      'CLIENT_NOT_FOUND',
      'synced',
    ]);
    expect(await remaining(c)).toBe(3);
  });

  it('malformed ops (not an object, bad id, bad type, no payload, bad uid, bad client_id, bad uuid) fail alone with VALIDATION_ERROR', async () => {
    const c = await createClient(srv, 'malformed', 10);
    const res = await push(tokenA, 'DEV-A', [
      copy('m1', c),
      'not-an-op',
      { id: { x: 1 }, type: 'copy', payload: { client_id: c, uid: '04AB12CD34' } },
      { id: 'm4', type: 'delete', payload: {} },
      { id: 'm5', type: 'copy' },
      { id: 'm6', type: 'copy', payload: { client_id: c, uid: 'not-hex!' } },
      { id: 'm7', type: 'copy', payload: { client_id: -3, uid: '04AB12CD34' } },
      { id: 'm8', uuid: 42, type: 'copy', payload: { client_id: c, uid: '04AB12CD34' } },
      copy('m9', c),
    ]);
    expect(res.status).toBe(200);
    const data = res.body.data as { id: unknown; status: string; error?: string; message?: string }[];
    expect(data.map((r) => r.error ?? r.status)).toEqual([
      'synced',
      ...Array(7).fill('VALIDATION_ERROR'),
      'synced',
    ]);
    expect(data[3]!.id).toBe('m4');
    expect(data[5]!.message).toMatch(/uid/);
    expect(await remaining(c)).toBe(8);
  });

  it('write ops are recorded and take no quota', async () => {
    const c = await createClient(srv, 'writes', 2);
    const res = await push(tokenA, 'DEV-A', [
      {
        id: 'w1',
        uuid: 'write-uuid-1',
        type: 'write',
        payload: { client_id: c, uid: '04AB12CD', data: 'hello' },
      },
    ]);
    expect(res.body.data).toEqual([{ id: 'w1', uuid: 'write-uuid-1', status: 'synced' }]);
    expect(await remaining(c)).toBe(2);
  });

  it('device_id other than the token device → 403 FORBIDDEN; a token without a device → 403', async () => {
    const c = await createClient(srv, 'forbidden', 5);
    const res = await push(tokenA, 'DEV-B', [copy(1, c)]);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
    const noDevice = await login(srv, TEST_ADMIN);
    expect((await push(noDevice, 'DEV-A', [copy(1, c)])).status).toBe(403);
    expect(await remaining(c)).toBe(5);
  });

  it('no token → 401; oversized batch (1001 ops) → 400; queue not an array → 400', async () => {
    const c = await createClient(srv, 'envelope', 5);
    expect((await srv.api('POST', '/api/sync/push', { device_id: 'DEV-A', queue: [] })).status).toBe(401);
    const big = await push(
      tokenA,
      'DEV-A',
      Array.from({ length: 1001 }, (_, i) => copy(i, c)),
    );
    expect(big.status).toBe(400);
    expect(big.body.code).toBe('VALIDATION_ERROR');
    expect(
      (await srv.api('POST', '/api/sync/push', { device_id: 'DEV-A', queue: 'x' }, bearer(tokenA))).status,
    ).toBe(400);
    expect(await remaining(c)).toBe(5);
  });

  it('a 500-op batch is applied in one request', async () => {
    const c = await createClient(srv, 'big', 1000);
    const res = await push(
      tokenA,
      'DEV-A',
      Array.from({ length: 500 }, (_, i) => copy(`b${i}`, c, '04AB12CD34', `big-${i}-uuid`)),
    );
    expect(res.body.data.filter((r: { status: string }) => r.status === 'synced')).toHaveLength(500);
    expect(await remaining(c)).toBe(500);
  });

  it('pull returns every quota with client_id, name, remaining, total, updated_at and the server time', async () => {
    const c = await createClient(srv, 'pull-me', 7);
    const res = await srv.api('GET', '/api/sync/pull', undefined, bearer(tokenA));
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.quotas.find((q: { client_id: number }) => q.client_id === c)).toMatchObject({
      client_id: c,
      name: 'pull-me',
      remaining: 7,
      total: 7,
    });
    expect(Date.parse(res.body.server_time)).not.toBeNaN();
    expect((await srv.api('GET', '/api/sync/pull')).status).toBe(401);
  });
});

describe('admin clients', () => {
  let srv: TestServer;
  const admin = () => ({ 'x-api-key': srv.apiKey });
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => srv?.dispose());

  it('creates, lists and updates clients with quota (set) or add (change)', async () => {
    const created = await srv.api('POST', '/api/admin/clients', { name: 'ACME', quota: 10 }, admin());
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ name: 'ACME', remaining: 10, used: 0, total: 10 });
    const id = created.body.data.id;
    expect(
      (await srv.api('PUT', `/api/admin/clients/${id}`, { quota: 3 }, admin())).body.data.remaining,
    ).toBe(3);
    expect((await srv.api('PUT', `/api/admin/clients/${id}`, { add: 4 }, admin())).body.data.remaining).toBe(
      7,
    );
    expect((await srv.api('PUT', `/api/admin/clients/${id}`, { add: -7 }, admin())).body.data.remaining).toBe(
      0,
    );
    const list = await srv.api('GET', '/api/admin/clients', undefined, admin());
    expect(list.body.data).toHaveLength(1);
  });

  it('add taking remaining below 0 → 409 QUOTA_EXCEEDED and nothing changes', async () => {
    const id = (await srv.api('POST', '/api/admin/clients', { name: 'Low', quota: 2 }, admin())).body.data.id;
    const res = await srv.api('PUT', `/api/admin/clients/${id}`, { add: -3 }, admin());
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('QUOTA_EXCEEDED');
    expect((await srv.api('PUT', `/api/admin/clients/${id}`, { add: 0 }, admin())).body.data.remaining).toBe(
      2,
    );
  });

  it('PUT with both quota and add, with neither, or a negative quota → 400; unknown id → 404 CLIENT_NOT_FOUND', async () => {
    const id = (await srv.api('POST', '/api/admin/clients', { name: 'Val', quota: 2 }, admin())).body.data.id;
    expect((await srv.api('PUT', `/api/admin/clients/${id}`, { quota: 1, add: 1 }, admin())).status).toBe(
      400,
    );
    expect((await srv.api('PUT', `/api/admin/clients/${id}`, {}, admin())).status).toBe(400);
    expect((await srv.api('PUT', `/api/admin/clients/${id}`, { quota: -1 }, admin())).status).toBe(400);
    const missing = await srv.api('PUT', '/api/admin/clients/424242', { quota: 1 }, admin());
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('CLIENT_NOT_FOUND');
  });

  it('without X-API-Key → 401; duplicate name → 409; negative quota on create → 400', async () => {
    expect((await srv.api('GET', '/api/admin/clients')).status).toBe(401);
    expect((await srv.api('POST', '/api/admin/clients', { name: 'X', quota: 1 })).status).toBe(401);
    await srv.api('POST', '/api/admin/clients', { name: 'Twice', quota: 1 }, admin());
    expect((await srv.api('POST', '/api/admin/clients', { name: 'Twice', quota: 1 }, admin())).status).toBe(
      409,
    );
    expect((await srv.api('POST', '/api/admin/clients', { name: 'Neg', quota: -1 }, admin())).status).toBe(
      400,
    );
  });
});
