import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenClaims } from '../../src-shared/api/auth.js';
import { PrincipalGate } from '../../src-main/server/auth/principal-gate.js';
import { AppError } from '../../src-main/server/errors.js';
import { serverSql } from '../helpers/pg.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createClient, createUser, login, stationSocket, TestSocket } from './realtime-client.js';

/**
 * Who a valid token may act as: a deleted or disabled user's token is refused everywhere it is accepted
 * (push, pull, notifications, refresh, /ws), and a sync device_id belongs to the account that first used it.
 */
describe('identity: deleted/disabled users and station bindings', () => {
  let srv: TestServer;
  const sockets: TestSocket[] = [];
  const admin = () => ({ 'x-api-key': srv.apiKey });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const push = (token: string, device_id: string, queue: unknown[]) =>
    srv.api('POST', '/api/sync/push', { device_id, queue }, bearer(token));
  const copy = (id: number, client_id: number, uuid?: string) => ({
    id,
    ...(uuid ? { uuid } : {}),
    type: 'copy',
    payload: { client_id, uid: '04AB12CD34' },
  });
  /** Every JWT-guarded surface, as status codes (the socket's upgrade status included). */
  const surfaces = async (token: string, deviceId: string) => {
    const ws = await TestSocket.open(srv.url, `?token=${token}&device_id=${deviceId}`).then(
      (s) => (sockets.push(s), 101),
      (e: Error) => Number(/HTTP (\d+)/.exec(e.message)?.[1] ?? 0),
    );
    return {
      push: (await push(token, deviceId, [])).status,
      pull: (await srv.api('GET', '/api/sync/pull', undefined, bearer(token))).status,
      notifications: (await srv.api('GET', '/api/notifications', undefined, bearer(token))).status,
      refresh: (await srv.api('POST', '/api/auth/refresh', undefined, bearer(token))).status,
      ws,
    };
  };
  const socketAuthenticate = async (token: string) => {
    const s = await TestSocket.open(srv.url);
    sockets.push(s);
    s.send({ event: 'authenticate', data: { token } });
    return Promise.race([s.next('authenticated'), s.next('authentication_error')]);
  };
  const ok = { push: 200, pull: 200, notifications: 200, refresh: 200, ws: 101 };

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await srv?.dispose();
  });

  it('a deleted user: every token it holds is refused with 401, on HTTP and on the socket', async () => {
    const u = await createUser(srv, 'doomed');
    const token = await login(srv, u, 'DOOMED-1');
    // Used once, so the token's verification and the user's state are cached before the delete.
    expect(await surfaces(token, 'DOOMED-1')).toEqual(ok);

    const del = await srv.api('DELETE', `/api/admin/users/${u.id}`, undefined, admin());
    expect(del.status).toBe(200);
    const gone = { push: 401, pull: 401, notifications: 401, refresh: 401, ws: 401 };
    expect(await surfaces(token, 'DOOMED-1')).toEqual(gone);
    expect((await push(token, 'DOOMED-1', [])).body.code).toBe('INVALID_TOKEN');
    expect((await socketAuthenticate(token)).event).toBe('authentication_error');
    expect((await srv.api('DELETE', `/api/admin/users/${u.id}`, undefined, admin())).status).toBe(404);
    // Its device id was released with it: a new account can take the station over.
    const heir = await createUser(srv, 'heir');
    expect(await surfaces(await login(srv, heir, 'DOOMED-1'), 'DOOMED-1')).toEqual(ok);
  });

  it('a disabled user cannot log in and its tokens are refused; enabling it again restores both', async () => {
    const u = await createUser(srv, 'paused');
    const token = await login(srv, u, 'PAUSED-1');
    expect(await surfaces(token, 'PAUSED-1')).toEqual(ok);

    const off = await srv.api('PATCH', `/api/admin/users/${u.id}`, { disabled: true }, admin());
    expect(off.status).toBe(200);
    expect(off.body.data).toMatchObject({ id: u.id, username: 'paused', disabled: true });
    expect(await surfaces(token, 'PAUSED-1')).toEqual({
      push: 401,
      pull: 401,
      notifications: 401,
      refresh: 401,
      ws: 401,
    });
    expect((await socketAuthenticate(token)).event).toBe('authentication_error');
    const relog = await srv.api('POST', '/api/auth/login', { username: 'paused', password: u.password });
    expect(relog.status).toBe(401);
    expect(relog.body.code).toBe('AUTH_FAILED');

    const listed = await srv.api('GET', '/api/admin/users', undefined, admin());
    expect(listed.body.data.find((x: { id: number }) => x.id === u.id).disabled).toBe(true);
    expect(JSON.stringify(listed.body)).not.toContain('password');

    await srv.api('PATCH', `/api/admin/users/${u.id}`, { disabled: false }, admin());
    expect(await surfaces(token, 'PAUSED-1')).toEqual(ok);
    expect((await socketAuthenticate(token)).event).toBe('authenticated');
  });

  it('a device_id belongs to the first account: another account is refused 403 at login, push and /ws', async () => {
    const owner = await createUser(srv, 'owner-st');
    const intruder = await createUser(srv, 'intruder-st');
    const ownerToken = await login(srv, owner, 'BOUND-1');

    const stolen = await srv.api('POST', '/api/auth/login', {
      username: intruder.username,
      password: intruder.password,
      device_id: 'BOUND-1',
    });
    expect(stolen.status).toBe(403);
    expect(stolen.body.code).toBe('FORBIDDEN');
    expect(stolen.body.token).toBeUndefined();

    // The owner keeps working, and may use several ids of its own.
    expect(await surfaces(ownerToken, 'BOUND-1')).toEqual(ok);
    await login(srv, owner, 'BOUND-2');

    const bindings = await srv.api('GET', '/api/admin/station-bindings', undefined, admin());
    expect(bindings.status).toBe(200);
    expect(
      bindings.body.data
        .filter((b: { user_id: number }) => b.user_id === owner.id)
        .map((b: { device_id: string }) => b.device_id),
    ).toEqual(['BOUND-1', 'BOUND-2']);

    // Released (station re-installed under the other account): the intruder may claim it, and the
    // previous owner's token for that id no longer pushes or joins its room.
    const rel = await srv.api('DELETE', '/api/admin/station-bindings/BOUND-1', undefined, admin());
    expect(rel.status).toBe(200);
    const newToken = await login(srv, intruder, 'BOUND-1');
    expect(await surfaces(newToken, 'BOUND-1')).toEqual(ok);
    const stale = await surfaces(ownerToken, 'BOUND-1');
    expect(stale).toMatchObject({ push: 403, ws: 403 });
    expect((await push(ownerToken, 'BOUND-1', [])).body.code).toBe('FORBIDDEN');
    expect((await socketAuthenticate(ownerToken)).event).toBe('authentication_error');
    expect((await srv.api('DELETE', '/api/admin/station-bindings/BOUND-1', undefined, admin())).status).toBe(
      200,
    );
    expect(
      (await srv.api('DELETE', '/api/admin/station-bindings/NEVER-BOUND', undefined, admin())).status,
    ).toBe(404);
  });

  it('two accounts racing to log in with one unbound device_id: exactly one owns it', async () => {
    const users = await Promise.all([createUser(srv, 'race-a'), createUser(srv, 'race-b')]);
    const answers = await Promise.all(
      users.map((u) =>
        srv.api('POST', '/api/auth/login', {
          username: u.username,
          password: u.password,
          device_id: 'RACE-1',
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 403]);
    const winner = users[answers.findIndex((a) => a.status === 200)]!;
    const bindings = (await srv.api('GET', '/api/admin/station-bindings', undefined, admin())).body.data;
    expect(bindings.find((b: { device_id: string }) => b.device_id === 'RACE-1').user_id).toBe(winner.id);
  });

  it('open sockets end (4003) when their user is disabled or deleted, or their device id released', async () => {
    const open = async (token: string, deviceId: string) => {
      const s = await stationSocket(srv, token, deviceId);
      sockets.push(s);
      return s;
    };
    const u = await createUser(srv, 'live-st');
    const other = await createUser(srv, 'bystander-st');
    const sOwn = await open(await login(srv, u, 'LIVE-1'), 'LIVE-1');
    const sBystander = await open(await login(srv, other, 'LIVE-2'), 'LIVE-2');

    await srv.api('DELETE', '/api/admin/station-bindings/LIVE-1', undefined, admin());
    expect((await sOwn.next('error')).data.code).toBe('AUTH_FAILED');
    expect((await sOwn.waitClose()).code).toBe(4003);

    const sAgain = await open(await login(srv, u, 'LIVE-1'), 'LIVE-1');
    await srv.api('PATCH', `/api/admin/users/${u.id}`, { disabled: true }, admin());
    expect((await sAgain.waitClose()).code).toBe(4003);

    // Someone else's socket is untouched.
    sBystander.send({ event: 'ping' });
    await sBystander.next('pong');
    expect(sBystander.closed).toBeUndefined();
  });

  it('admin user and binding routes need X-API-Key, checked before the body', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/admin/users', undefined],
      ['PATCH', '/api/admin/users/1', { disabled: 'nope' }],
      ['DELETE', '/api/admin/users/1', undefined],
      ['GET', '/api/admin/station-bindings', undefined],
      ['DELETE', '/api/admin/station-bindings/X', undefined],
    ] as const) {
      const res = await srv.api(method, path, body, { 'x-api-key': 'wrong-key-0123456789' });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
      expect(res.text).not.toContain('disabled');
    }
  });

  it('the OpenAPI document lists the user and binding admin routes under the API key or a JWT', async () => {
    const doc = (await srv.api('GET', '/api/openapi.json')).body;
    for (const [path, method] of [
      ['/api/admin/users', 'get'],
      ['/api/admin/users/{id}', 'patch'],
      ['/api/admin/users/{id}', 'put'],
      ['/api/admin/users/{id}', 'delete'],
      ['/api/admin/station-bindings', 'get'],
      ['/api/admin/station-bindings/{device_id}', 'delete'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.security, `${method} ${path}`).toEqual([
        { apiKey: [] },
        { bearer: [] },
      ]);
    }
    expect(doc.paths['/api/admin/users/{id}'].patch.requestBody).toBeDefined();
  });

  it('op idempotency is per device: another device reusing a uuid is a new op, counted', async () => {
    const a = await createUser(srv, 'uuid-a');
    const b = await createUser(srv, 'uuid-b');
    const ta = await login(srv, a, 'UUID-DEV-A');
    const tb = await login(srv, b, 'UUID-DEV-B');
    const c = await createClient(srv, 'uuid-client', 10);

    const first = await push(ta, 'UUID-DEV-A', [copy(1, c, 'shared-uuid-0001')]);
    expect(first.body.data).toEqual([{ id: 1, uuid: 'shared-uuid-0001', status: 'synced' }]);
    const other = await push(tb, 'UUID-DEV-B', [copy(1, c, 'shared-uuid-0001')]);
    expect(other.body.data).toEqual([{ id: 1, uuid: 'shared-uuid-0001', status: 'synced' }]);
    const replay = await push(ta, 'UUID-DEV-A', [copy(9, c, 'shared-uuid-0001')]);
    expect(replay.body.data[0].duplicate).toBe(true);

    const clients = await srv.api('GET', '/api/admin/clients', undefined, admin());
    expect(clients.body.data.find((x: { id: number }) => x.id === c)).toMatchObject({
      remaining: 8,
      used: 2,
    });
  });

  it('a change made by another process on the same database takes effect within the cache TTL', async () => {
    // The gate over the server's own store, with a clock the test moves.
    let now = 1_000_000;
    const gate = new PrincipalGate(srv.ctx.store, 1000, 100, () => now);
    const u = await createUser(srv, 'elsewhere');
    const full: TokenClaims = {
      sub: String(u.id),
      username: u.username,
      role: 'station',
      device_id: 'ELSE-1',
      iat: 0,
      exp: 0,
    };
    expect((await gate.check(full)).id).toBe(u.id);

    // Another process (a CLI, a second instance) disables the user directly in the database.
    // (1 is true for SQLite's 0/1 column and for PostgreSQL's boolean alike.)
    await serverSql(srv, 'UPDATE users SET disabled = ? WHERE id = ?', [1, u.id]);

    now += 999;
    expect((await gate.check(full)).id).toBe(u.id);
    now += 2;
    const refused = await gate.check(full).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('INVALID_TOKEN');
  });
});
