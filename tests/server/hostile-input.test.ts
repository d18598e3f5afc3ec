import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src-main/server/json-depth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createUser, login, TestSocket } from './realtime-client.js';

/** `n` levels of arrays around `inner`, as JSON text (built as text: a real nested value would overflow here). */
const deepArray = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);
/** `n` levels of `{"a": …}`. */
const deepObject = (n: number, inner = '1') => '{"a":'.repeat(n) + inner + '}'.repeat(n);

/**
 * Deeply nested JSON, invalid values that must not be echoed, and admin routes probed without a key: each
 * answers a clear 4xx in our envelope, never a 5xx, a stack overflow message or the caller's own input.
 */
describe('hostile input: nesting depth, echoes, admin key first', () => {
  let srv: TestServer;
  let token: string;
  const admin = { 'x-api-key': '' };
  const json = { 'content-type': 'application/json' };
  const post = (path: string, text: string, headers: Record<string, string> = {}) =>
    srv.api('POST', path, text, { ...json, ...headers });
  const expectDepthRefused = (res: Awaited<ReturnType<typeof post>>) => {
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(res.text).toContain(`deeper than ${MAX_JSON_DEPTH}`);
    expect(res.text).not.toMatch(/call stack|RangeError/i);
  };

  beforeAll(async () => {
    srv = await startTestServer();
    admin['x-api-key'] = srv.apiKey;
    token = await login(srv, await createUser(srv, 'hostile-st'), 'HOSTILE-1');
  });
  afterAll(async () => srv?.dispose());

  it('/api/sync/push: an op id or a write payload 100,000 levels deep → 400 VALIDATION_ERROR, not 500', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const idDeep = `{"device_id":"HOSTILE-1","queue":[{"id":${deepArray(100_000)},"type":"copy","payload":{}}]}`;
    expectDepthRefused(await post('/api/sync/push', idDeep, auth));
    const payloadDeep = `{"device_id":"HOSTILE-1","queue":[{"id":1,"type":"write","payload":{"x":${deepArray(100_000)}}}]}`;
    expectDepthRefused(await post('/api/sync/push', payloadDeep, auth));
    // Objects too, and the server is still fine afterwards.
    expectDepthRefused(
      await post('/api/sync/push', `{"device_id":"HOSTILE-1","queue":[${deepObject(50)}]}`, auth),
    );
    expect((await srv.api('GET', '/health')).status).toBe(200);
  });

  it('brackets inside strings do not count, and nesting up to the limit is accepted', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const inString = JSON.stringify({
      device_id: 'HOSTILE-1',
      queue: [{ id: 1, type: 'write', payload: { text: '[[[[{{{{"\\'.repeat(1000) } }],
    });
    expect((await post('/api/sync/push', inString, auth)).status).toBe(200);
    // device_id + queue + op + payload = 4 levels of the limit used by the envelope itself.
    const atLimit = `{"device_id":"HOSTILE-1","queue":[{"id":2,"type":"write","payload":{"x":${deepArray(MAX_JSON_DEPTH - 4)}}}]}`;
    expect((await post('/api/sync/push', atLimit, auth)).status).toBe(200);
    const overLimit = `{"device_id":"HOSTILE-1","queue":[{"id":3,"type":"write","payload":{"x":${deepArray(MAX_JSON_DEPTH - 3)}}}]}`;
    expectDepthRefused(await post('/api/sync/push', overLimit, auth));
  });

  it('an invalid op id or uuid is never copied into the answer', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const long = 'L'.repeat(5000);
    const res = await srv.api(
      'POST',
      '/api/sync/push',
      {
        device_id: 'HOSTILE-1',
        queue: [
          { id: { nested: ['x', 'y'] }, type: 'copy', payload: {} },
          { id: long, type: 'copy', payload: {} },
          { id: 7, uuid: `bad uuid ${long}`, type: 'copy', payload: {} },
          { id: 8, uuid: 'good-uuid-0001', type: 'nope', payload: {} },
        ],
      },
      auth,
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      { id: null, status: 'failed', error: 'VALIDATION_ERROR', message: expect.any(String) },
      { id: null, status: 'failed', error: 'VALIDATION_ERROR', message: expect.any(String) },
      { id: 7, status: 'failed', error: 'VALIDATION_ERROR', message: expect.any(String) },
      {
        id: 8,
        uuid: 'good-uuid-0001',
        status: 'failed',
        error: 'VALIDATION_ERROR',
        message: expect.any(String),
      },
    ]);
    expect(res.text).not.toContain('LLLL');
    expect(res.text).not.toContain('nested');
  });

  it('/api/admin/notify data, /api/systems system_data and a heartbeat body nested too deep → 400', async () => {
    const notify = `{"all":true,"title":"t","message":"m","data":{"x":${deepArray(100_000)}}}`;
    expectDepthRefused(await post('/api/admin/notify', notify, admin));
    const systems = `{"license_id":"00000000-0000-4000-8000-000000000000","fingerprint_hash":"${'a'.repeat(64)}","system_data":{"x":${deepArray(100_000)}}}`;
    expectDepthRefused(await post('/api/systems', systems));
    // The heartbeat fast path parses its own bodies (≤ 16 KB): the same rule there, in its envelope.
    const hb = await post('/api/devices/dev-deep/online', `{"note":${deepArray(5000)}}`);
    expect(hb.status).toBe(400);
    expect(hb.body).toMatchObject({ ok: false, code: 'VALIDATION_ERROR' });
    // Within the limit, free-form notification data is still fine.
    const fine = await srv.api(
      'POST',
      '/api/admin/notify',
      { all: true, title: 't', message: 'm', data: JSON.parse(deepObject(20)) },
      admin,
    );
    expect(fine.status).toBe(201);
  });

  it('a socket message nested too deep gets an error frame and the socket stays usable', async () => {
    const s = await TestSocket.open(srv.url);
    s.send(`{"event":"authenticate","data":${deepArray(30_000)}}`);
    const err = await s.next('authentication_error');
    expect(JSON.stringify(err)).not.toMatch(/call stack/i);
    s.send({ event: `<img src=x onerror=alert(1)>${'z'.repeat(500)}` });
    const unknown = await s.next('error');
    expect(unknown.data.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(unknown)).not.toMatch(/img|zzzz/);
    s.send({ event: 'ping' });
    await s.next('pong');
    await s.close();
  });

  it('an unknown route names its path only when the path is short and plain', async () => {
    expect((await srv.api('GET', '/api/nope')).body.error).toBe('Route GET /api/nope not found');
    for (const path of [`/api/${'x'.repeat(5000)}`, '/api/%3Cscript%3Ealert(1)%3C%2Fscript%3E', '/api/a"b']) {
      const res = await srv.api('GET', path);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'ROUTE_NOT_FOUND', error: 'Route GET not found' });
    }
  });

  it('admin write routes without a valid key answer 401 before looking at the body: no field names leak', async () => {
    const routes: [string, string][] = [
      ['POST', '/api/admin/users'],
      ['POST', '/api/admin/clients'],
      ['PUT', '/api/admin/clients/1'],
      ['POST', '/api/admin/notify'],
      ['POST', '/api/admin/devices'],
      ['POST', '/api/admin/devices/some-device/token'],
      ['POST', '/api/licenses/generate'],
      ['PUT', '/api/licenses/00000000-0000-4000-8000-000000000000'],
      ['PATCH', '/api/admin/users/1'],
    ];
    for (const [method, path] of routes) {
      for (const headers of [{}, { 'x-api-key': 'not-the-key-0123456789' }] as Record<string, string>[]) {
        const res = await srv.api(method, path, { bogus: 1 }, headers);
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.body.code).toBe('UNAUTHORIZED');
        expect(res.body.details, `${method} ${path}`).toBeUndefined();
      }
      // Even a body that does not parse: the key is asked for first.
      const broken = await srv.api(method, path, '{"no', { ...json });
      expect(broken.status, `${method} ${path} broken body`).toBe(401);
    }
  });
});

describe('/metrics and /status', () => {
  it('are public by default', async () => {
    const srv = await startTestServer();
    try {
      expect((await srv.api('GET', '/metrics')).status).toBe(200);
      expect((await srv.api('GET', '/status')).status).toBe(200);
    } finally {
      await srv.dispose();
    }
  });

  it('OUTPOST_METRICS_REQUIRE_KEY=1 puts them behind X-API-Key; /health stays public', async () => {
    const srv = await startTestServer({ env: { OUTPOST_METRICS_REQUIRE_KEY: '1' } });
    try {
      for (const path of ['/metrics', '/status', '/api/status']) {
        const anon = await srv.api('GET', path);
        expect(anon.status, path).toBe(401);
        expect(anon.text).not.toContain('heap');
        expect((await srv.api('GET', path, undefined, { 'x-api-key': srv.apiKey })).status, path).toBe(200);
      }
      expect((await srv.api('GET', '/health')).status).toBe(200);
    } finally {
      await srv.dispose();
    }
  });
});
