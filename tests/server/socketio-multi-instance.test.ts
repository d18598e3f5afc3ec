import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { TEST_STORE } from '../helpers/server.js';
import {
  admin,
  createUser,
  login,
  socketOn,
  spawnServer,
  type ChildServer,
} from './multi-instance-helpers.js';
import { SioClient } from './socketio-client.js';

/**
 * Two server processes sharing one store (one SQLite data dir, or one PostgreSQL database under the
 * `server-postgres` project): an event raised on one instance reaches socket.io clients on the other through
 * the runtime's fan-out, the same path `/ws` sockets are served by.
 */
describe(`socket.io across two instances (${TEST_STORE})`, () => {
  const dirs: string[] = [];
  let pgdb: TestDatabase | undefined;
  let a: ChildServer;
  let b: ChildServer;
  const clients: SioClient[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-sio-multi-'));
    dirs.push(dir);
    if (TEST_STORE === 'postgres') {
      pgdb = await createTestDatabase();
      const dir2 = mkdtempSync(join(tmpdir(), 'outpost-sio-multi-'));
      dirs.push(dir2);
      const env = { OUTPOST_DATABASE_URL: pgdb.url };
      [a, b] = await Promise.all([spawnServer(dir, { env }), spawnServer(dir2, { env })]);
    } else {
      [a, b] = await Promise.all([spawnServer(dir), spawnServer(dir)]);
    }
    await createUser(a, 'sio-multi', 'station');
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([a?.stop(), b?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await pgdb?.drop();
  });

  it.each(['websocket', 'polling'] as const)(
    'over %s: a notification and a quota change raised on B reach a socket.io client on A (and a /ws client on A alike)',
    async (transport) => {
      const device = `MULTI-${transport}`;
      const token = await login(a, 'sio-multi', device);
      const sio = await SioClient.connect(a.url, transport, { token });
      clients.push(sio);
      await sio.next('authenticated');
      const ws = await socketOn(a, token, device);
      try {
        const sent = await b.api(
          'POST',
          '/api/admin/notify',
          { device_id: device, title: 'from B', message: 'fan-out' },
          { 'x-websocket-api-key': admin['x-api-key'] },
        );
        expect(sent.status, sent.text).toBe(201);
        const [n1, n2] = await Promise.all([sio.next('notification'), ws.next('notification')]);
        expect(n1.data).toEqual(n2.data);
        expect(n1.data).toMatchObject({ id: sent.body.data.id, title: 'from B' });

        const client = await b.api(
          'POST',
          '/api/admin/clients',
          { name: `multi-${transport}`, quota: 3 },
          admin,
        );
        expect(client.status, client.text).toBe(201);
        await b.api('PUT', `/api/admin/clients/${client.body.data.id}`, { quota: 9 }, admin);
        const pred = (d: { client_id: number; remaining: number }) =>
          d.client_id === client.body.data.id && d.remaining === 9;
        const [q1, q2] = await Promise.all([sio.next('quota_updated', pred), ws.next('quota_updated', pred)]);
        expect(q1.data).toEqual(q2.data);
      } finally {
        await ws.close();
      }
    },
  );
});
