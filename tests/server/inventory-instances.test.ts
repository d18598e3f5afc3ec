import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src-main/server/runner.js';
import { request, startTestServer, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import { eventually } from './multi-instance-helpers.js';

/**
 * Two instances of the server on one store (one SQLite data dir in `unit`, one PostgreSQL database in
 * `server-postgres`): a group change made on one reaches the other's policy cache through the runtime's bus,
 * long before the cache's own 60 s refresh could.
 */
describe('device groups across two instances', () => {
  let a: TestServer;
  let b: RunningServer;
  const key = { 'x-api-key': TEST_API_KEY };
  const on = (url: string, method: string, path: string, body?: unknown, headers = key) =>
    request(url, method, path, body, headers);

  beforeAll(async () => {
    a = await startTestServer();
    b = await startServer({
      host: '127.0.0.1',
      port: 0,
      dataDir: a.databaseUrl ? `${a.dataDir}-b` : a.dataDir,
      databaseUrl: a.databaseUrl,
      env: { OUTPOST_API_KEYS: TEST_API_KEY, OUTPOST_RATE_LIMIT_PER_MIN: '10000', OUTPOST_PG_POOL_MAX: '4' },
    });
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    if (a?.databaseUrl) rmSync(`${a.dataDir}-b`, { recursive: true, force: true });
    await a?.dispose();
  });

  it("a group's new interval and a move made on A answer the device's heartbeats on B", async () => {
    const created = await on(a.url, 'POST', '/api/admin/devices', { device_key: 'two-1' });
    const reg = await on(b.url, 'POST', '/api/devices/two-1/register', {
      token_code: created.body.token_code,
    });
    const bearer = { authorization: `Bearer ${reg.body.device_secret}` };
    const beatOnB = () => on(b.url, 'POST', '/api/devices/two-1/online', {}, bearer);
    expect((await beatOnB()).body.next_heartbeat_sec).toBe(60);

    const g = await on(a.url, 'POST', '/api/admin/groups', {
      name: 'two-instances',
      heartbeat_interval_sec: 20,
      silence_threshold_sec: 60,
    });
    expect(g.status).toBe(200);
    // B has the device (and its group) cached: a move on A must reach it.
    expect((await on(a.url, 'PUT', '/api/admin/devices/two-1', { group: g.body.data.id })).status).toBe(200);
    const moved = await eventually(beatOnB, (r) => r.body.next_heartbeat_sec === 20, 5_000);
    expect(moved.body.next_heartbeat_sec).toBe(20);

    // A policy change of the group on A.
    await on(a.url, 'PUT', `/api/admin/groups/${g.body.data.id}`, { heartbeat_interval_sec: 45 });
    const changed = await eventually(beatOnB, (r) => r.body.next_heartbeat_sec === 45, 5_000);
    expect(changed.body.next_heartbeat_sec).toBe(45);

    // A bulk move by filter on A (B drops every cached device→group).
    const back = await on(a.url, 'POST', '/api/admin/devices/move', { group: 1, filter: { search: 'two-' } });
    expect(back.body.data.moved).toBe(1);
    const home = await eventually(beatOnB, (r) => r.body.next_heartbeat_sec === 60, 5_000);
    expect(home.body.next_heartbeat_sec).toBe(60);

    // Deleting the group on A lists it nowhere, and B's list shows the device in the default group.
    await on(a.url, 'DELETE', `/api/admin/groups/${g.body.data.id}`);
    const groupsOnB = await on(b.url, 'GET', '/api/admin/groups');
    expect(groupsOnB.body.data.groups.map((x: { id: number }) => x.id)).not.toContain(g.body.data.id);
    const listOnB = await on(b.url, 'GET', '/api/admin/devices?search=two-1');
    expect(listOnB.body.data.devices[0].group).toEqual({ id: 1, name: 'Default' });
  });
});
