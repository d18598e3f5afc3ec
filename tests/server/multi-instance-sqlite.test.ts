import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSocket } from './realtime-client.js';
import {
  admin,
  createUser,
  enroll,
  eventually,
  guessBurst,
  licenseBurst,
  expectLicenseBudgetHeld,
  loginBurst,
  heartbeat,
  login,
  socketOn,
  spawnServer,
  type ChildServer,
} from './multi-instance-helpers.js';

/**
 * Two real server processes on one SQLite data dir, started at the same moment (what `--workers 2` does, or an
 * operator starting a second server on the same directory). Whatever one instance changes, the other must honour:
 * revocations, re-registrations, guess budgets, keys and realtime events.
 */
describe('two server processes on one SQLite data dir', () => {
  let dir: string;
  let a: ChildServer;
  let b: ChildServer;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-multi-'));
    const env = { OUTPOST_LOGIN_MAX_FAILURES: '4' };
    // Together, on an empty dir: key files, migrations and the first admin are created by whichever wins.
    [a, b] = await Promise.all([spawnServer(dir, { env }), spawnServer(dir, { env })]);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) await s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('share one SSH host key, one license signing key and one JWT secret', async () => {
    const [ha, hb] = await Promise.all([a.api('GET', '/api/ssh-hostkey'), b.api('GET', '/api/ssh-hostkey')]);
    expect(ha.status).toBe(200);
    expect(ha.text).toMatch(/^ssh-ed25519 /);
    expect(hb.text).toBe(ha.text);
    const [pa, pb] = await Promise.all([
      a.api('GET', '/api/licenses/public-key'),
      b.api('GET', '/api/licenses/public-key'),
    ]);
    expect(pb.body.data.key_id).toBe(pa.body.data.key_id);
    await createUser(a, 'keys-station', 'station');
    const token = await login(a, 'keys-station');
    const refreshed = await b.api('POST', '/api/auth/refresh', undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(refreshed.status, refreshed.text).toBe(200);
  });

  it('a device revoked on A is refused on B, which had its secret cached', async () => {
    const d = await enroll(a);
    expect((await heartbeat(b, d.key, d.secret)).status).toBe(200);
    expect((await a.api('DELETE', `/api/admin/devices/${d.key}`, undefined, admin)).status).toBe(200);
    const after = await eventually(
      () => heartbeat(b, d.key, d.secret),
      (r) => r.status !== 200,
    );
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('DEVICE_REVOKED');
    expect((await heartbeat(a, d.key, d.secret)).body.code).toBe('DEVICE_REVOKED');
  });

  it('a device re-registered on A is accepted on B with its new secret at once, and its old secret is refused', async () => {
    const d = await enroll(a);
    expect((await heartbeat(b, d.key, d.secret)).status).toBe(200);
    const t = await a.api('POST', `/api/admin/devices/${d.key}/token`, undefined, admin);
    const reg = await a.api('POST', `/api/devices/${d.key}/register`, { token_code: t.body.token_code });
    expect(reg.status, reg.text).toBe(200);
    const fresh = reg.body.device_secret as string;
    // No waiting: the very first heartbeat on B with the new secret must pass (a 401 stops the agent for good).
    const first = await heartbeat(b, d.key, fresh);
    expect(first.status, first.text).toBe(200);
    const old = await heartbeat(b, d.key, d.secret);
    expect(old.status).toBe(401);
    expect(old.body.code).toBe('INVALID_DEVICE_SECRET');
  });

  it('wrong registration tokens count against one budget: 10 spread over A and B lock the device on both', async () => {
    const d = await a.api('POST', '/api/admin/devices', {}, admin);
    const key = d.body.device_key as string;
    for (let i = 0; i < 10; i++) {
      const on = i % 2 === 0 ? a : b;
      const r = await on.api('POST', `/api/devices/${key}/register`, {
        token_code: (0xa00000 + i).toString(16),
      });
      expect(r.status, `guess ${i + 1}`).toBe(401);
      expect(r.body.code).toBe('TOKEN_INVALID');
    }
    for (const on of [a, b]) {
      const r = await on.api('POST', `/api/devices/${key}/register`, { token_code: d.body.token_code });
      expect(r.status).toBe(429);
      expect(r.body.code).toBe('RATE_LIMIT_EXCEEDED');
    }
  });

  it('a burst of concurrent wrong tokens on A and B gets at most the budget evaluated; right tokens still pass', async () => {
    const { wrong, rightAfter, rightBurst } = await guessBurst(a, b);
    // Every guess either was evaluated (401 TOKEN_INVALID) or refused before evaluation (429), never more
    // evaluated than the device's budget of 10, however the 60 interleave over the two instances.
    expect(wrong.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(wrong.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(rightAfter).toBe(429);
    // Right tokens spend no guess budget: 40 concurrent redemptions from the same IP are all accepted.
    expect(rightBurst.filter((s) => s !== 200)).toEqual([]);
  }, 60_000);

  it('failed logins count against one budget per username across instances', async () => {
    await createUser(a, 'guessed', 'operator');
    for (const on of [a, b, a, b]) {
      const r = await on.api('POST', '/api/auth/login', {
        username: 'guessed',
        password: 'wrong-password-1',
      });
      expect(r.status).toBe(401);
    }
    const right = await b.api('POST', '/api/auth/login', {
      username: 'guessed',
      password: 'station-password-1',
    });
    expect(right.status).toBe(429);
  });

  it('a burst of concurrent wrong passwords on A and B gets at most the budget checked; correct logins spend none', async () => {
    const { rightFirst, wrong, rightAfter } = await loginBurst(a, b, 'burst-guessed');
    // More correct logins than the budget of 4, one at a time: none of them is counted.
    expect(rightFirst).toEqual([200, 200, 200, 200, 200, 200]);
    // Each wrong password was checked (401) or refused before its check (429), never more checked than 4.
    expect(wrong.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(wrong.filter((s) => s === 401).length).toBeLessThanOrEqual(4);
    expect(wrong.filter((s) => s === 401).length).toBeGreaterThan(0);
    expect(rightAfter).toBe(429);
  }, 60_000);

  it('a burst of unknown license keys on two instances gets at most the per-IP budget looked up', async () => {
    // Their own pair, with a per-IP license budget of 5 × 12 = 60 (6 unknown keys at 10 each).
    const d2 = mkdtempSync(join(tmpdir(), 'outpost-multi-'));
    const env = { OUTPOST_RATE_LIMIT_PER_MIN: '12' };
    const [c, d] = await Promise.all([spawnServer(d2, { env }), spawnServer(d2, { env })]);
    try {
      expectLicenseBudgetHeld(await licenseBurst(c, d));
    } finally {
      await Promise.all([c.stop(), d.stop()]);
      rmSync(d2, { recursive: true, force: true });
    }
  }, 60_000);

  it('realtime: events raised on A reach sockets on B; presence and notify delivery are counted fleet-wide', async () => {
    await createUser(a, 'rt-admin', 'admin');
    await createUser(a, 'rt-station', 'station');
    const watcher = await socketOn(a, await login(a, 'rt-admin'));
    sockets.push(watcher);
    const station = await socketOn(b, await login(b, 'rt-station', 'RT-B'), 'RT-B');
    sockets.push(station);
    // The station connected to B; the admin watching on A is told once.
    const online = await watcher.next('device_online', (x) => x.device_id === 'RT-B');
    expect(online.data.username).toBe('rt-station');

    const created = await a.api('POST', '/api/admin/clients', { name: 'multi', quota: 7 }, admin);
    expect(created.status).toBe(201);
    const quota = await station.next('quota_updated', (x) => x.client_id === created.body.data.id);
    expect(quota.data.remaining).toBe(7);

    const sent = await eventually(
      () => a.api('POST', '/api/admin/notify', { device_id: 'RT-B', title: 'T', message: 'to B' }, admin),
      (r) => r.body?.data?.delivered === 1,
    );
    expect(sent.status).toBe(201);
    expect(sent.body.data.delivered).toBe(1);
    const got = await station.next('notification', (x) => x.id === sent.body.data.id);
    expect(got.data.message).toBe('to B');

    await station.close();
    const offline = await watcher.next('device_offline', (x) => x.device_id === 'RT-B');
    expect(offline.data.device_id).toBe('RT-B');
    expect(watcher.history.filter((f) => f.event === 'device_online').length).toBe(1);
  });
});
