import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { admin, bearer, createDevice, enrolled, register } from './devices-helpers.js';

/** Each test gets its own server: the limits below are per process and must start clean. */
describe('seed 004 devices: token race, guess limits, restart', () => {
  const servers: TestServer[] = [];
  const start = async (env?: Record<string, string>) => {
    const s = await startTestServer({ env });
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.dispose()));
  });

  /** A 6-hex token that is not `token`. */
  const wrongTokens = (token: string, n: number) =>
    Array.from({ length: n + 1 }, (_, i) => (0xa00000 + i).toString(16).toUpperCase())
      .filter((t) => t !== token)
      .slice(0, n);

  it('25 concurrent registrations with the right token: exactly one 200, the rest 401 TOKEN_INVALID', async () => {
    const srv = await start();
    const d = await createDevice(srv, { device_key: 'race-1' });
    const results = await Promise.all(
      Array.from({ length: 25 }, () =>
        srv.api('POST', '/api/devices/race-1/register', { token_code: d.token_code }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 401 && r.body.code === 'TOKEN_INVALID')).toHaveLength(24);
    // The winner's secret is the one that works.
    const hb = await srv.api('POST', '/api/devices/race-1/online', {}, bearer(ok[0]!.body.device_secret));
    expect(hb.status).toBe(200);
  });

  it('10 wrong guesses lock the device: even the right token then gets 429 until the admin issues a new one', async () => {
    const srv = await start();
    const d = await createDevice(srv, { device_key: 'guess-1' });
    for (const t of wrongTokens(d.token_code, 10)) {
      const r = await srv.api('POST', '/api/devices/guess-1/register', { token_code: t });
      expect(r.status).toBe(401);
    }
    const locked = await srv.api('POST', '/api/devices/guess-1/register', { token_code: d.token_code });
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ ok: false, code: 'RATE_LIMIT_EXCEEDED' });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body.details.resetAt).toBeTruthy();

    // Another device from the same IP is not locked (10 < 30 per IP).
    const other = await createDevice(srv);
    await register(srv, other.device_key, other.token_code);

    const t = await srv.api('POST', '/api/admin/devices/guess-1/token', undefined, admin(srv));
    await register(srv, 'guess-1', t.body.token_code);
  });

  it('30 wrong guesses from one IP (spread over devices and unknown keys) lock that IP out', async () => {
    const srv = await start();
    let guesses = 0;
    for (let i = 0; i < 4; i++) {
      const d = await createDevice(srv);
      for (const t of wrongTokens(d.token_code, 7)) {
        const r = await srv.api('POST', `/api/devices/${d.device_key}/register`, { token_code: t });
        expect(r.status).toBe(401);
        guesses++;
      }
    }
    for (; guesses < 30; guesses++) {
      const r = await srv.api('POST', `/api/devices/unknown-${guesses}/register`, { token_code: 'ABCDEF' });
      expect(r.status).toBe(404);
    }
    const fresh = await createDevice(srv);
    const r = await srv.api('POST', `/api/devices/${fresh.device_key}/register`, {
      token_code: fresh.token_code,
    });
    expect(r.status).toBe(429);
    expect(r.body.code).toBe('RATE_LIMIT_EXCEEDED');
  });

  it('replaying a burned token does not count as a guess (no lock after 15 replays)', async () => {
    const srv = await start();
    const d = await createDevice(srv, { device_key: 'replay-1' });
    await register(srv, 'replay-1', d.token_code);
    for (let i = 0; i < 15; i++) {
      const r = await srv.api('POST', '/api/devices/replay-1/register', { token_code: d.token_code });
      expect(r.status).toBe(401);
    }
  });

  it('heartbeats are not subject to the per-IP limit that guards registration', async () => {
    const srv = await start({ OUTPOST_RATE_LIMIT_PER_MIN: '5' });
    const { key, secret } = await enrolled(srv); // 1 register request
    for (let i = 0; i < 30; i++) {
      const r = await srv.api('POST', `/api/devices/${key}/online`, {}, bearer(secret));
      expect(r.status).toBe(200);
    }
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await srv.api('POST', '/api/devices/nobody/register', { token_code: 'ABCDEF' })).status);
    }
    expect(statuses).toContain(429);
    const last = await srv.api('POST', '/api/devices/nobody/register', { token_code: 'ABCDEF' });
    expect(last.body).toMatchObject({ ok: false, code: 'RATE_LIMIT_EXCEEDED' });
  });

  it('a restart keeps devices, secrets, revocations, SSH host key and an acknowledged last heartbeat', async () => {
    const srv = await startTestServer();
    let dataDir = srv.dataDir;
    try {
      const a = await enrolled(srv, 'persist-a');
      const b = await enrolled(srv, 'persist-b');
      const pending = await createDevice(srv, { device_key: 'persist-pending' });
      await srv.api('DELETE', '/api/admin/devices/persist-b', undefined, admin(srv));
      const hostKey = (await srv.api('GET', '/api/ssh-hostkey')).text;
      const hb = await srv.api(
        'POST',
        '/api/devices/persist-a/online',
        { ip_lan: '10.9.9.9' },
        bearer(a.secret),
      );
      expect(hb.status).toBe(200);
      // Stop right after the acknowledgement: the write-behind buffer must be flushed on the way down.
      await srv.dispose({ keepData: true });

      const again = await startTestServer({ dataDir });
      servers.push(again);
      dataDir = '';
      const g = await again.api('GET', '/api/devices/persist-a', undefined, bearer(a.secret));
      expect(g.status).toBe(200);
      expect(g.body.device).toMatchObject({ last_seen: hb.body.server_time, ip_lan: '10.9.9.9' });
      expect((await again.api('POST', '/api/devices/persist-a/online', {}, bearer(a.secret))).status).toBe(
        200,
      );
      const revoked = await again.api('POST', '/api/devices/persist-b/online', {}, bearer(b.secret));
      expect(revoked.body.code).toBe('DEVICE_REVOKED');
      expect((await again.api('GET', '/api/ssh-hostkey')).text).toBe(hostKey);
      await register(again, 'persist-pending', pending.token_code);
    } finally {
      if (dataDir) await srv.dispose();
    }
  });
});
