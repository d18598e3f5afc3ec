import { SignJWT, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';
import { createUser, JWT_SECRET, login } from './realtime-client.js';

const secret = new TextEncoder().encode(JWT_SECRET);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('auth: login, refresh, tokens', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_JWT_SECRET: JWT_SECRET } });
  });
  afterAll(async () => srv?.dispose());

  const refresh = (token: string) =>
    srv.api('POST', '/api/auth/refresh', undefined, { authorization: `Bearer ${token}` });

  it('logs in with username/password/device_id and returns a 7-day HS256 JWT with sub, username, role, device_id', async () => {
    const res = await srv.api('POST', '/api/auth/login', { ...TEST_ADMIN, device_id: 'STATION_A' });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.user).toMatchObject({ username: 'admin', role: 'admin' });
    expect(res.body.user.password_hash).toBeUndefined();
    const claims = decodeJwt(res.body.token);
    expect(claims).toMatchObject({
      sub: String(res.body.user.id),
      username: 'admin',
      role: 'admin',
      device_id: 'STATION_A',
    });
    expect(claims.exp! - claims.iat!).toBe(7 * 86_400);
    expect(new Date(res.body.expires_at).getTime()).toBe(claims.exp! * 1000);
    expect(JSON.parse(Buffer.from(res.body.token.split('.')[0], 'base64url').toString())).toMatchObject({
      alg: 'HS256',
    });
  });

  it('wrong password → 401 INVALID_CREDENTIALS', async () => {
    const res = await srv.api('POST', '/api/auth/login', {
      username: 'admin',
      password: 'wrong-password',
      device_id: 'X',
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });
  });

  it('unknown user → the same 401 INVALID_CREDENTIALS as a wrong password', async () => {
    const res = await srv.api('POST', '/api/auth/login', { username: 'nobody', password: 'whatever-123' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      success: false,
      code: 'INVALID_CREDENTIALS',
      error: 'Invalid username or password',
    });
  });

  it('login body missing password → 400 VALIDATION_ERROR', async () => {
    const res = await srv.api('POST', '/api/auth/login', { username: 'admin' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
  });

  it('refresh with a valid token returns a new valid token for the same user and device', async () => {
    const token = await login(srv, TEST_ADMIN, 'DEV-R');
    const res = await refresh(token);
    expect(res.status).toBe(200);
    const claims = decodeJwt(res.body.token);
    expect(claims).toMatchObject({ username: 'admin', device_id: 'DEV-R' });
    expect((await refresh(res.body.token)).status).toBe(200);
  });

  it('refresh without a token → 401 INVALID_TOKEN', async () => {
    const res = await srv.api('POST', '/api/auth/refresh');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_TOKEN');
  });

  it('token with a bad signature → 401 INVALID_TOKEN', async () => {
    const forged = await new SignJWT({ username: 'admin', role: 'admin', device_id: 'D' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('some-other-secret-0123456789abcdef-xyz'));
    const res = await refresh(forged);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_TOKEN');
  });

  it('token with alg none → 401 INVALID_TOKEN', async () => {
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: '1', username: 'admin', role: 'admin', device_id: 'D', iat: now, exp: now + 3600 })}.`;
    const res = await refresh(none);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_TOKEN');
  });

  it('token signed with the right secret but HS512 (algorithm not pinned) → 401', async () => {
    const t = await new SignJWT({ username: 'admin', role: 'admin', device_id: 'D' })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('1')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JWT_SECRET.repeat(2)));
    expect((await refresh(t)).status).toBe(401);
  });

  it('expired token (exp in the past, right secret) → 401 INVALID_TOKEN', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await new SignJWT({ username: 'admin', role: 'admin', device_id: 'D' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setIssuedAt(past - 60)
      .setExpirationTime(past)
      .sign(secret);
    const res = await refresh(expired);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_TOKEN');
  });

  it('token with a tampered payload (role station → admin) → 401', async () => {
    const user = await createUser(srv, 'tamper-st');
    const token = await login(srv, user, 'T1');
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = `${h}.${b64({ ...claims, role: 'admin' })}.${s}`;
    expect((await refresh(tampered)).status).toBe(401);
  });

  it('a token for a user id that does not exist → 401 on refresh', async () => {
    const t = await new SignJWT({ username: 'ghost', role: 'station', device_id: 'G' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('999999')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret);
    expect((await refresh(t)).status).toBe(401);
  });

  it('admin creates users with roles (X-API-Key); the new user can log in', async () => {
    const res = await srv.api(
      'POST',
      '/api/admin/users',
      {
        username: 'op1',
        password: 'operator-pass',
        role: 'operator',
        name: 'Op One',
        email: 'op@example.com',
      },
      { 'x-api-key': srv.apiKey },
    );
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      username: 'op1',
      role: 'operator',
      name: 'Op One',
      email: 'op@example.com',
    });
    const ok = await srv.api('POST', '/api/auth/login', { username: 'op1', password: 'operator-pass' });
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.body.token)).toMatchObject({ role: 'operator', device_id: null });
  });

  it('create user without API key → 401; password shorter than 8 → 400; unknown role → 400; duplicate → 409', async () => {
    const body = { username: 'dup1', password: 'long-enough', role: 'station' };
    expect((await srv.api('POST', '/api/admin/users', body)).status).toBe(401);
    const short = await srv.api(
      'POST',
      '/api/admin/users',
      { ...body, password: 'short' },
      { 'x-api-key': srv.apiKey },
    );
    expect(short.status).toBe(400);
    expect(short.body.code).toBe('VALIDATION_ERROR');
    const role = await srv.api(
      'POST',
      '/api/admin/users',
      { ...body, role: 'root' },
      { 'x-api-key': srv.apiKey },
    );
    expect(role.status).toBe(400);
    expect((await srv.api('POST', '/api/admin/users', body, { 'x-api-key': srv.apiKey })).status).toBe(201);
    const dup = await srv.api('POST', '/api/admin/users', body, { 'x-api-key': srv.apiKey });
    expect(dup.status).toBe(409);
  });
});

describe('auth: rate limits and configuration', () => {
  it('per username: after OUTPOST_LOGIN_MAX_FAILURES wrong passwords even the right one gets 429 with Retry-After', async () => {
    const srv = await startTestServer({ env: { OUTPOST_LOGIN_MAX_FAILURES: '3' } });
    try {
      for (let i = 0; i < 3; i++) {
        expect(
          (await srv.api('POST', '/api/auth/login', { username: 'admin', password: `wrong-${i}` })).status,
        ).toBe(401);
      }
      const res = await srv.api('POST', '/api/auth/login', TEST_ADMIN);
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('RATE_LIMIT_EXCEEDED');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another username is not affected.
      expect(
        (await srv.api('POST', '/api/auth/login', { username: 'other', password: 'x-123456' })).status,
      ).toBe(401);
    } finally {
      await srv.dispose();
    }
  });

  it('per username: concurrent wrong passwords get at most the budget checked; correct logins spend none', async () => {
    const srv = await startTestServer({ env: { OUTPOST_LOGIN_MAX_FAILURES: '3' } });
    try {
      // More correct logins than the budget, one at a time, then two at once: none of them counts.
      for (let i = 0; i < 5; i++)
        expect((await srv.api('POST', '/api/auth/login', TEST_ADMIN)).status).toBe(200);
      const pair = await Promise.all([0, 1].map(() => srv.api('POST', '/api/auth/login', TEST_ADMIN)));
      expect(pair.map((r) => r.status)).toEqual([200, 200]);
      const wrong = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          srv.api('POST', '/api/auth/login', { username: 'admin', password: `wrong-${i}` }),
        ),
      );
      const statuses = wrong.map((r) => r.status);
      expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
      // Reserved before the check: exactly the budget is checked however the 20 interleave.
      expect(statuses.filter((s) => s === 401)).toHaveLength(3);
      expect((await srv.api('POST', '/api/auth/login', TEST_ADMIN)).status).toBe(429);
    } finally {
      await srv.dispose();
    }
  });

  it('per IP: more logins than OUTPOST_RATE_LIMIT_PER_MIN in a minute → 429', async () => {
    const srv = await startTestServer({ env: { OUTPOST_RATE_LIMIT_PER_MIN: '3' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (await srv.api('POST', '/api/auth/login', { username: `u${i}`, password: 'whatever-1' })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await srv.dispose();
    }
  });

  it('a token that worked (and was cached as verified) is refused once it expires', async () => {
    const srv = await startTestServer({ env: { OUTPOST_JWT_EXPIRES_SEC: '1' } });
    try {
      const token = await login(srv, TEST_ADMIN, 'EXP-1');
      const pull = () => srv.api('GET', '/api/sync/pull', undefined, { authorization: `Bearer ${token}` });
      expect((await pull()).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2100));
      const res = await pull();
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('INVALID_TOKEN');
    } finally {
      await srv.dispose();
    }
  });

  it('OUTPOST_JWT_EXPIRES_SEC sets the token lifetime', async () => {
    const srv = await startTestServer({ env: { OUTPOST_JWT_EXPIRES_SEC: '120' } });
    try {
      const claims = decodeJwt(await login(srv, TEST_ADMIN, 'D'));
      expect(claims.exp! - claims.iat!).toBe(120);
    } finally {
      await srv.dispose();
    }
  });
});
