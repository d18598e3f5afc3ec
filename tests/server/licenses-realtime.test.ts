/**
 * A license changed or deleted by an administrator is announced on the signed-in sockets as `license_updated`
 * with the license id and the new status (never the key), so the agent holding it re-validates at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { admin, generate } from './licenses-helpers.js';
import { createUser, login, TestSocket } from './realtime-client.js';

describe('license_updated over /ws', () => {
  let srv: TestServer;
  let socket: TestSocket;

  beforeAll(async () => {
    srv = await startTestServer();
    const station = await createUser(srv, 'lic-station');
    const token = await login(srv, station, 'LIC01');
    socket = await TestSocket.open(srv.url, `?token=${token}&device_id=LIC01`);
    await socket.next('authenticated');
  });
  afterAll(async () => {
    await socket?.close();
    await srv?.dispose();
  });

  it('announces a revoke with the id and status, without the license key', async () => {
    const lic = await generate(srv);
    const res = await srv.api('PUT', `/api/licenses/${lic.id}`, { status: 'revoked' }, admin(srv));
    expect(res.status).toBe(200);
    const frame = await socket.next('license_updated', (d) => d.license_id === lic.id);
    expect(frame.data).toEqual({ license_id: lic.id, status: 'revoked' });
    expect(JSON.stringify(frame)).not.toContain(lic.license_key);
  });

  it('announces a deletion, and nothing for a failed update of an unknown license', async () => {
    const missing = await srv.api(
      'PUT',
      '/api/licenses/00000000-0000-4000-8000-000000000000',
      { status: 'revoked' },
      admin(srv),
    );
    expect(missing.status).toBe(404);
    const lic = await generate(srv);
    expect((await srv.api('DELETE', `/api/licenses/${lic.id}`, undefined, admin(srv))).status).toBe(200);
    const frame = await socket.next('license_updated');
    // The first announcement after the failed update is the deletion: the 404 announced nothing.
    expect(frame.data).toEqual({ license_id: lic.id, status: 'deleted' });
  });

  it('a change without the admin key is refused and announces nothing', async () => {
    const lic = await generate(srv);
    const res = await srv.api('PUT', `/api/licenses/${lic.id}`, { status: 'revoked' });
    expect(res.status).toBe(401);
    await srv.api('PUT', `/api/licenses/${lic.id}`, { description: 'marker' }, admin(srv));
    const frame = await socket.next('license_updated');
    expect(frame.data).toEqual({ license_id: lic.id, status: 'generated' });
  });
});
