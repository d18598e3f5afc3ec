/**
 * Admin client actions, one route each: top up (adds only, a positive whole number), reduce (takes away, never
 * below 0), rename (unique names), delete (only a client nothing was billed to). Real server, on both stores;
 * errors are seed 002 envelopes from the catalogue, never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createClient, createUser, login } from './realtime-client.js';

describe('admin client actions', () => {
  let srv: TestServer;
  const admin = () => ({ 'x-api-key': srv.apiKey });
  const act = (method: string, path: string, body?: unknown) => srv.api(method, path, body, admin());
  const list = async () =>
    (await act('GET', '/api/admin/clients')).body.data as { id: number; name: string; remaining: number }[];

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => srv?.dispose());

  it('top-up adds a positive whole number and nothing else', async () => {
    const id = await createClient(srv, 'Top', 5);
    const ok = await act('POST', `/api/admin/clients/${id}/top-up`, { add: 7 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ success: true, data: { id, name: 'Top', remaining: 12, used: 0 } });
    for (const bad of [{ add: 0 }, { add: -3 }, { add: 1.5 }, { add: '4' }, {}, { add: 1, by: 1 }]) {
      const res = await act('POST', `/api/admin/clients/${id}/top-up`, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
    expect((await list()).find((c) => c.id === id)?.remaining).toBe(12);
  });

  it('reduce takes copies away, refusing (and changing nothing) below 0', async () => {
    const id = await createClient(srv, 'Less', 5);
    expect((await act('POST', `/api/admin/clients/${id}/reduce`, { by: 2 })).body.data.remaining).toBe(3);
    const over = await act('POST', `/api/admin/clients/${id}/reduce`, { by: 4 });
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ success: false, code: 'QUOTA_EXCEEDED' });
    expect(over.body.error).toBe("Client 'Less' has 3 copies left: it cannot be reduced by 4");
    expect((await act('POST', `/api/admin/clients/${id}/reduce`, { by: 0 })).status).toBe(400);
    expect((await act('POST', `/api/admin/clients/${id}/reduce`, { by: 3 })).body.data.remaining).toBe(0);
  });

  it('rename keeps names unique (case-insensitively) and trims them', async () => {
    const id = await createClient(srv, 'Old name', 1);
    await createClient(srv, 'Taken', 1);
    const ok = await act('PATCH', `/api/admin/clients/${id}`, { name: '  New name ' });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ id, name: 'New name', remaining: 1 });
    const dup = await act('PATCH', `/api/admin/clients/${id}`, { name: 'TAKEN' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ success: false, code: 'CONFLICT' });
    expect((await act('PATCH', `/api/admin/clients/${id}`, { name: '   ' })).status).toBe(400);
    expect((await act('PATCH', `/api/admin/clients/${id}`, { name: 'x', quota: 3 })).status).toBe(400);
  });

  it('delete removes a client nothing was billed to, and keeps one with billed copies', async () => {
    const unused = await createClient(srv, 'Unused', 3);
    const gone = await act('DELETE', `/api/admin/clients/${unused}`);
    expect(gone.status).toBe(200);
    expect(gone.body).toMatchObject({ success: true, data: { id: unused, name: 'Unused' } });
    expect((await list()).some((c) => c.id === unused)).toBe(false);
    expect((await act('DELETE', `/api/admin/clients/${unused}`)).body).toMatchObject({
      success: false,
      code: 'CLIENT_NOT_FOUND',
    });

    const billed = await createClient(srv, 'Billed', 3);
    const station = await createUser(srv, 'station-del');
    const token = await login(srv, station, 'DEV-DEL');
    const pushed = await srv.api(
      'POST',
      '/api/sync/push',
      {
        device_id: 'DEV-DEL',
        queue: [{ id: 1, type: 'copy', payload: { client_id: billed, uid: '04AB12CD34' } }],
      },
      { authorization: `Bearer ${token}` },
    );
    expect(pushed.body.data).toEqual([{ id: 1, status: 'synced' }]);
    const kept = await act('DELETE', `/api/admin/clients/${billed}`);
    expect(kept.status).toBe(409);
    expect(kept.body).toMatchObject({ success: false, code: 'CONFLICT' });
    expect(kept.body.error).toContain("Client 'Billed' has 1 copies billed to it");
    expect((await list()).some((c) => c.id === billed)).toBe(true);
  });

  it('every action: unknown client 404, bad id 400, no API key 401', async () => {
    for (const [method, path, body] of [
      ['POST', '/api/admin/clients/424242/top-up', { add: 1 }],
      ['POST', '/api/admin/clients/424242/reduce', { by: 1 }],
      ['PATCH', '/api/admin/clients/424242', { name: 'n' }],
      ['DELETE', '/api/admin/clients/424242', undefined],
    ] as const) {
      const missing = await act(method, path, body);
      expect(missing.status, `${method} ${path}`).toBe(404);
      expect(missing.body).toMatchObject({ success: false, code: 'CLIENT_NOT_FOUND' });
      expect((await act(method, path.replace('424242', 'abc'), body)).status).toBe(400);
      expect((await srv.api(method, path, body)).status).toBe(401);
    }
  });

  it('the actions are in the OpenAPI document', async () => {
    const doc = (await srv.api('GET', '/api/openapi.json')).body as {
      paths?: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths?.['/api/admin/clients/{id}/top-up'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths?.['/api/admin/clients/{id}/reduce'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths?.['/api/admin/clients/{id}'] ?? {})).toEqual(
      expect.arrayContaining(['put', 'patch', 'delete']),
    );
  });
});
