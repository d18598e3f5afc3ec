import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_STORE, type TestServer } from '../helpers/server.js';

/**
 * Two instances on one store (one data dir on SQLite, one database on PostgreSQL): `/health`, `/status` and
 * `/metrics` must say which of them answered and what database it is on, since behind a load balancer the
 * caller cannot tell otherwise. The seed fields stay as they were; these are additions.
 */
describe('health surface of a fleet: which instance answered, and the database', () => {
  let a: TestServer;
  let b: TestServer;
  const runtimeKind = TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

  beforeAll(async () => {
    a = await startTestServer();
    b = await startTestServer({ dataDir: a.dataDir });
  });
  afterAll(async () => {
    await b?.dispose({ keepData: true });
    await a?.dispose();
  });

  it('/health names the instance (body and header) and reports the database as reachable', async () => {
    const [ha, hb] = await Promise.all([a.api('GET', '/health'), b.api('GET', '/api/health')]);
    for (const [srv, r] of [
      [a, ha],
      [b, hb],
    ] as const) {
      expect(r.status).toBe(200);
      expect(r.body.instance).toEqual({ id: srv.ctx.runtime.instanceId, runtime: runtimeKind });
      expect(r.headers.get('x-outpost-instance')).toBe(srv.ctx.runtime.instanceId);
      expect(r.body.database).toMatchObject({ status: 'connected', kind: TEST_STORE, reachable: true });
      expect(r.body.database.response_time).toBeGreaterThanOrEqual(0);
      // Seed 003's fields are still there.
      expect(r.body).toMatchObject({ status: 'healthy', connections: { active: 0, total: 0 } });
    }
    expect(ha.body.instance.id).not.toBe(hb.body.instance.id);
  });

  it('/status names the instance and the store next to the seed fields', async () => {
    const r = await b.api('GET', '/status');
    expect(r.status).toBe(200);
    expect(r.body.instance).toEqual({ id: b.ctx.runtime.instanceId, runtime: runtimeKind });
    expect(r.headers.get('x-outpost-instance')).toBe(b.ctx.runtime.instanceId);
    expect(r.body.database).toMatchObject({
      status: 'connected',
      connections: 1,
      kind: TEST_STORE,
      reachable: true,
    });
    expect(Object.keys(r.body.websocket).sort()).toEqual([
      'active_connections',
      'by_transport',
      'events_per_minute',
      'rooms',
      'total_connections',
    ]);
  });

  it('/metrics labels its figures with the instance and reports the database up', async () => {
    const r = await a.api('GET', '/metrics');
    expect(r.status).toBe(200);
    const id = a.ctx.runtime.instanceId;
    expect(r.text).toContain(
      `outpost_instance_info{instance="${id}",runtime="${runtimeKind}",store="${TEST_STORE}"} 1`,
    );
    expect(r.text).toMatch(new RegExp(`^outpost_database_up\\{store="${TEST_STORE}"\\} 1$`, 'm'));
    expect((await b.api('GET', '/metrics')).text).not.toContain(`instance="${id}"`);
  });
});
