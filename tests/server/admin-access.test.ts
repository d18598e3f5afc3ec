/**
 * Who may use which admin route: the environment's keys, named API keys and users' JWTs, each with a role
 * (admin, operator, viewer, station) checked against the route's access level. The matrix is derived from the
 * routes the app itself registered, so a route added later without a level is checked too (it must then be
 * admin-only). Real server, on both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessLevel } from '../../src-main/server/auth/admin-access.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'role-password-123';

/** Admin routes outside /api/admin (seed 002's license and system lists, seed 000's plugin overview). */
const OTHER_GATED = new Set([
  'GET /api/licenses',
  'GET /api/licenses/:id',
  'POST /api/licenses/generate',
  'PUT /api/licenses/:id',
  'DELETE /api/licenses/:id',
  'GET /api/systems',
  'GET /api/plugins',
]);

/** A path for a route pattern, with parameters no row has (an allowed call ends in 4xx, never a change). */
function concrete(url: string): string {
  return url
    .replace(':id', url.startsWith('/api/licenses') ? '00000000-0000-4000-8000-000000000000' : '999999')
    .replace(/:[a-z_]+/g, 'no-such-thing-999');
}

describe('admin access by role', () => {
  let srv: TestServer;
  const env = () => ({ 'x-api-key': srv.apiKey });
  const creds: Record<string, Record<string, string>> = {};

  async function userToken(username: string, role: string): Promise<string> {
    const c = await srv.api('POST', '/api/admin/users', { username, password: PASSWORD, role }, env());
    expect(c.status, c.text).toBe(201);
    const l = await srv.api('POST', '/api/auth/login', { username, password: PASSWORD });
    expect(l.status, l.text).toBe(200);
    return l.body.token as string;
  }

  async function namedKey(name: string, role: string): Promise<string> {
    const r = await srv.api('POST', '/api/admin/api-keys', { name, role }, env());
    expect(r.status, r.text).toBe(201);
    return r.body.data.key as string;
  }

  beforeAll(async () => {
    srv = await startTestServer();
    for (const role of ['admin', 'operator', 'viewer', 'station']) {
      creds[`${role} user`] = { authorization: `Bearer ${await userToken(`m-${role}`, role)}` };
    }
    for (const role of ['admin', 'operator', 'viewer']) {
      creds[`${role} key`] = { 'x-api-key': await namedKey(`matrix ${role}`, role) };
    }
    // Seed 003's header for the same keys.
    creds['viewer key (ws header)'] = { 'x-websocket-api-key': creds['viewer key']!['x-api-key']! };
  });
  afterAll(async () => srv?.dispose());

  const roleOf = (who: string) => who.split(' ')[0] as 'admin' | 'operator' | 'viewer' | 'station';
  const allowed = (role: string, level: AccessLevel) =>
    role === 'admin' || (role === 'operator' && level !== 'admin') || (role === 'viewer' && level === 'view');

  function gatedRoutes() {
    return srv.ctx.routes.filter(
      (r) =>
        r.method !== 'HEAD' && (r.url.startsWith('/api/admin') || OTHER_GATED.has(`${r.method} ${r.url}`)),
    );
  }

  it('the matrix covers the routes this issue adds and the existing admin routes', () => {
    const names = new Set(gatedRoutes().map((r) => `${r.method} ${r.url}`));
    for (const r of [
      'POST /api/admin/users',
      'GET /api/admin/users',
      'PUT /api/admin/users/:id',
      'PATCH /api/admin/users/:id',
      'DELETE /api/admin/users/:id',
      'POST /api/admin/api-keys',
      'GET /api/admin/api-keys',
      'DELETE /api/admin/api-keys/:id',
      'GET /api/admin/audit',
      'PUT /api/admin/clients/:id',
      'POST /api/admin/notify',
      'GET /api/admin/devices',
      ...OTHER_GATED,
    ]) {
      expect(names, r).toContain(r);
    }
  });

  it('every admin route: 401 without credentials or with a wrong key, 403 below its level, served at or above it', async () => {
    const failures: string[] = [];
    for (const route of gatedRoutes()) {
      const level = route.access ?? 'admin';
      const path = concrete(route.url);
      const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined;
      const call = (h: Record<string, string>) => srv.api(route.method, path, body, h);
      const label = `${route.method} ${route.url} (${level})`;

      for (const [who, h] of [
        ['nobody', {}],
        ['a wrong key', { 'x-api-key': 'not-a-key-0123456789' }],
        ['a bad token', { authorization: 'Bearer not.a.token' }],
      ] as const) {
        const r = await call(h);
        if (r.status !== 401) failures.push(`${label} as ${who}: ${r.status}`);
      }
      for (const [who, h] of Object.entries(creds)) {
        const r = await call(h);
        const ok = allowed(roleOf(who), level);
        if (r.status >= 500) failures.push(`${label} as ${who}: ${r.status} ${r.text}`);
        else if (!ok && (r.status !== 403 || r.body?.code !== 'FORBIDDEN')) {
          failures.push(`${label} as ${who}: expected 403 FORBIDDEN, got ${r.status}`);
        } else if (ok && (r.status === 401 || r.status === 403)) {
          failures.push(`${label} as ${who}: refused (${r.status} ${r.text})`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('levels of the routes this work sets', () => {
    const level = (method: string, url: string) =>
      srv.ctx.routes.find((r) => r.method === method && r.url === url)?.access ?? 'admin';
    expect(level('GET', '/api/admin/users')).toBe('view');
    expect(level('POST', '/api/admin/users')).toBe('admin');
    expect(level('PUT', '/api/admin/users/:id')).toBe('admin');
    expect(level('POST', '/api/admin/api-keys')).toBe('admin');
    expect(level('GET', '/api/admin/api-keys')).toBe('admin');
    expect(level('GET', '/api/admin/audit')).toBe('view');
    expect(level('PUT', '/api/admin/clients/:id')).toBe('operate');
    expect(level('POST', '/api/admin/clients/:id/top-up')).toBe('operate');
    expect(level('GET', '/api/licenses')).toBe('view');
    expect(level('POST', '/api/licenses/generate')).toBe('admin');
    expect(level('PUT', '/api/licenses/:id')).toBe('admin');
    expect(level('DELETE', '/api/licenses/:id')).toBe('admin');
  });

  it('a viewer reads, an operator changes quotas, neither manages people or keys', async () => {
    const viewer = creds['viewer user']!;
    const operator = creds['operator key']!;
    expect((await srv.api('GET', '/api/admin/users', undefined, viewer)).status).toBe(200);
    const c = await srv.api('POST', '/api/admin/clients', { name: 'Op client', quota: 3 }, operator);
    expect(c.status, c.text).toBe(201);
    const top = await srv.api('POST', `/api/admin/clients/${c.body.data.id}/top-up`, { add: 2 }, operator);
    expect(top.status, top.text).toBe(200);
    const refused = await srv.api('POST', '/api/admin/clients', { name: 'V', quota: 1 }, viewer);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ success: false, code: 'FORBIDDEN' });
    const noKeys = await srv.api('POST', '/api/admin/api-keys', { name: 'x', role: 'admin' }, operator);
    expect(noKeys.status).toBe(403);
  });
});
