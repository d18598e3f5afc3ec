import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../src-shared/api/realtime.js';
import { sha256Hex } from '../../src-main/server/auth/secret-hash.js';
import {
  createPostgresRuntime,
  operatorKeys,
  type PostgresRuntime,
  type PostgresRuntimeOptions,
} from '../../src-main/server/runtime/postgres/index.js';
import { firstBlocked, releaseAll, reserveInOrder } from '../../src-main/server/runtime/limiter-steps.js';
import type { Target } from '../../src-main/server/runtime/runtime.js';
import { createRuntimeTestDb, type RuntimeTestDb } from '../helpers/pg-runtime-db.js';

interface Got {
  target: Target;
  event: ServerEvent;
  data: unknown;
}

/** Collects what an instance delivers and lets a test wait for the n-th delivery (no timed assertions). */
function collector(rt: PostgresRuntime) {
  const got: Got[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  rt.fanout.bind((target, event, data) => {
    got.push({ target, event, data });
    for (const w of waiters.filter((x) => got.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    got,
    until: (n: number) =>
      got.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
  };
}

/**
 * The PostgreSQL runtime, two (or three) instances on one real database, each with its own pool and its own
 * listening connection. The fallback poll is parked (one hour), so what arrives came through NOTIFY or through
 * the catch-up read after a reconnect.
 */
describe('PostgreSQL runtime shared by instances of one database', () => {
  let db: RuntimeTestDb;
  let t: number;
  const runtimes: PostgresRuntime[] = [];

  const start = async (extra: Partial<PostgresRuntimeOptions> = {}) => {
    const rt = await createPostgresRuntime({
      pool: db.pool(),
      url: db.url,
      now: () => t,
      fallbackPollMs: 3_600_000,
      housekeepingMs: 3_600_000,
      ...extra,
    });
    runtimes.push(rt);
    return rt;
  };

  beforeEach(async () => {
    db = await createRuntimeTestDb();
    t = Date.now();
  });
  afterEach(async () => {
    for (const rt of runtimes.splice(0)) await rt.close();
    await db.drop();
  });

  it('an event published on A reaches B through NOTIFY and the outbox, and A only once (at once)', async () => {
    const a = await start();
    const b = await start();
    const ga = collector(a);
    const gb = collector(b);
    a.fanout.publish({ kind: 'device', deviceId: 'S-1' }, 'quota_updated', { remaining: 4 });
    expect(ga.got).toHaveLength(1);
    await gb.until(1);
    expect(gb.got[0]).toEqual({
      target: { kind: 'device', deviceId: 'S-1' },
      event: 'quota_updated',
      data: { remaining: 4 },
    });
    await a.poll();
    expect(ga.got).toHaveLength(1);
  });

  it('payloads larger than NOTIFY allows (8,000 bytes) go through the outbox', async () => {
    const a = await start();
    const b = await start();
    const gb = collector(b);
    const big = 'x'.repeat(50_000);
    a.fanout.publish({ kind: 'authenticated' }, 'notification', { message: big });
    await gb.until(1);
    expect((gb.got[0]!.data as { message: string }).message).toHaveLength(50_000);
  });

  it('a dropped listening connection reconnects and replays everything published meanwhile, in order', async () => {
    const a = await start();
    const b = await start();
    const gb = collector(b);
    const admin = await db.client();
    const before = b.listener();
    expect(before.connects).toBe(1);
    await admin.query('SELECT pg_terminate_backend($1)', [before.pid]);
    for (let i = 0; i < 50; i++) a.fanout.publish({ kind: 'authenticated' }, 'quota_updated', { i });
    await gb.until(50);
    expect(gb.got.map((g) => (g.data as { i: number }).i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(b.listener().connects).toBe(2);
  });

  it('catch-up after a dropped connection: every row of the other instances arrives whole, interleaved with its own', async () => {
    const a = await start();
    const b = await start();
    const ga = collector(a);
    const gb = collector(b);
    const admin = await db.client();
    await admin.query('SELECT pg_terminate_backend($1)', [b.listener().pid]);
    // B's own rows sit between A's and a third writer's in the outbox; B reads its own only for their ids.
    const big = 'y'.repeat(20_000);
    for (let i = 0; i < 30; i++) {
      if (i % 3 === 0) a.fanout.publish({ kind: 'authenticated' }, 'notification', { from: 'a', i, big });
      if (i % 3 === 1) b.fanout.publish({ kind: 'authenticated' }, 'quota_updated', { from: 'b', i });
      if (i % 3 === 2) {
        await admin.query(
          `INSERT INTO runtime_events (origin, kind, payload, at) VALUES ('elsewhere', 'realtime', $1, $2)`,
          [
            JSON.stringify({
              target: { kind: 'authenticated' },
              event: 'quota_updated',
              data: { from: 'c', i },
            }),
            t,
          ],
        );
      }
      await Promise.all([a.fanout.shared(), b.fanout.shared()]);
    }
    // The third writer sends no NOTIFY: a last row from A wakes B (or B's catch-up read finds them all).
    a.fanout.publish({ kind: 'authenticated' }, 'notification', { from: 'a', i: 30, big });
    await gb.until(10 + 21);
    const seen = gb.got.map((g) => g.data as { from: string; i: number; big?: string });
    expect(seen.filter((d) => d.from !== 'b').map((d) => `${d.from}${d.i}`)).toEqual(
      Array.from({ length: 31 }, (_, i) => i)
        .filter((i) => i % 3 !== 1)
        .map((i) => `${i % 3 === 0 ? 'a' : 'c'}${i}`),
    );
    // B's own events were delivered locally once, at publish, never again from the outbox.
    expect(seen.filter((d) => d.from === 'b')).toHaveLength(10);
    expect(seen.filter((d) => d.from === 'a').every((d) => d.big === big)).toBe(true);
    expect(b.listener().connects).toBe(2);
    // And the other way round: A received B's and the third writer's rows whole, not its own again.
    await a.poll();
    expect(ga.got.map((g) => (g.data as { from: string }).from).sort()).toEqual(
      [...Array(11).fill('a'), ...Array(10).fill('b'), ...Array(10).fill('c')].sort(),
    );
  });

  it('a row whose id was taken before the cursor moved on but committed later is still delivered', async () => {
    const a = await start();
    const b = await start();
    const gb = collector(b);
    const slow = await db.client();
    await slow.query('BEGIN');
    await slow.query(
      `INSERT INTO runtime_events (origin, kind, payload, at) VALUES ('elsewhere', 'realtime', $1, $2)`,
      [JSON.stringify({ target: { kind: 'authenticated' }, event: 'quota_updated', data: { n: 'late' } }), t],
    );
    a.fanout.publish({ kind: 'authenticated' }, 'quota_updated', { n: 'early' });
    await gb.until(1);
    await slow.query('COMMIT');
    await b.poll();
    expect(gb.got.map((g) => (g.data as { n: string }).n)).toEqual(['early', 'late']);
  });

  it('credential changes announced on A invalidate on B; the announcement is committed when announce resolves', async () => {
    const a = await start();
    const b = await start();
    const seen: string[] = [];
    b.authEvents.subscribe((k) => seen.push(k));
    await a.authEvents.announce('dev-9');
    // Committed: a poll now must find it even if the notification were lost.
    await b.poll();
    expect(seen).toEqual(['dev-9']);
  });

  it('limiters: 100 concurrent hits spread over three instances are all counted; the budget is one budget', async () => {
    const [a, b, c] = [await start(), await start(), await start()];
    const ls = [a, b, c].map((rt) => rt.limiter('registration-device', { max: 10, windowMs: 60_000 }));
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => ls[i % 3]!.hit('dev-x')));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect((await ls[1]!.blocked('dev-x')).allowed).toBe(false);
    t += 60_000;
    expect((await ls[2]!.blocked('dev-x')).allowed).toBe(true);
    expect((await ls[0]!.hit('dev-x', 4)).remaining).toBe(6);
    await ls[1]!.reset('dev-x');
    expect((await ls[2]!.blocked('dev-x')).remaining).toBe(10);
  });

  it('limiters: chained reservations over two budgets from three instances never overshoot either, in one statement each', async () => {
    const [a, b, c] = [await start(), await start(), await start()];
    const steps = (rt: PostgresRuntime, device: string, ip: string) => [
      { limiter: rt.limiter('registration-device', { max: 10, windowMs: 60_000 }), key: device },
      { limiter: rt.limiter('registration-ip', { max: 30, windowMs: 60_000 }), key: ip },
    ];
    const rts = [a, b, c];
    // One device, 60 addresses: the device's budget refuses past 10, and a refusal takes nothing from the IPs.
    const perDevice = await Promise.all(
      Array.from({ length: 60 }, (_, i) => reserveInOrder(steps(rts[i % 3]!, 'dev-c', `ip-${i}`))),
    );
    expect(perDevice.filter((r) => r === undefined)).toHaveLength(10);
    expect(perDevice.every((r) => r === undefined || r.resetAt.getTime() === t + 60_000)).toBe(true);
    const ipCounts = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        rts[0]!.limiter('registration-ip', { max: 30, windowMs: 60_000 }).blocked(`ip-${i}`),
      ),
    );
    expect(ipCounts.filter((r) => r.remaining === 29)).toHaveLength(10);
    // One address, 60 devices: the IP's budget refuses past 30; each refused guess still counts for its device.
    const perIp = await Promise.all(
      Array.from({ length: 60 }, (_, i) => reserveInOrder(steps(rts[i % 3]!, `dev-${i}`, 'ip-one'))),
    );
    expect(perIp.filter((r) => r === undefined)).toHaveLength(30);
    const dev = rts[1]!.limiter('registration-device', { max: 10, windowMs: 60_000 });
    const devCounts = await Promise.all(Array.from({ length: 60 }, (_, i) => dev.blocked(`dev-${i}`)));
    expect(devCounts.every((r) => r.remaining === 9)).toBe(true);
    expect(await firstBlocked(steps(c, 'dev-0', 'ip-one'))).toMatchObject({ allowed: false });
    expect(await firstBlocked(steps(c, 'dev-0', 'ip-other'))).toBeUndefined();
    await releaseAll(steps(b, 'dev-0', 'ip-one'));
    expect(await reserveInOrder(steps(a, 'dev-0', 'ip-one'))).toBeUndefined();
    // The counters write no WAL: a reservation's commit never waits for a flush to disk.
    const rel = await db
      .pool()
      .query<{ p: string }>(
        "SELECT relpersistence AS p FROM pg_class WHERE relname = 'runtime_limiter_counters'",
      );
    expect(rel.rows[0]?.p).toBe('u');
  });

  it('presence: two instances opening one device at the same moment announce it online exactly once', async () => {
    const a = await start();
    const b = await start();
    for (let i = 0; i < 10; i++) {
      const room = ['authenticated', `device:P-${i}`] as const;
      const flips = await Promise.all([a.presence.join(room), b.presence.join(room)]);
      expect(flips.filter(Boolean)).toHaveLength(1);
      expect(await a.presence.count({ kind: 'device', deviceId: `P-${i}` })).toBe(2);
      const offs = await Promise.all([a.presence.leave(room), b.presence.leave(room)]);
      expect(offs.filter(Boolean)).toHaveLength(1);
    }
    expect(await b.presence.count({ kind: 'authenticated' })).toBe(0);
  });

  it('an instance not seen for 10 s no longer counts in presence', async () => {
    const a = await start();
    const b = await start();
    await a.presence.join(['authenticated', 'device:Z']);
    expect(await b.presence.count({ kind: 'device', deviceId: 'Z' })).toBe(1);
    t += 11_000;
    await b.housekeeping();
    expect(await b.presence.count({ kind: 'device', deviceId: 'Z' })).toBe(0);
  });

  it('keys: instances starting together share one of each; only the creator gets the generated admin key', async () => {
    const rts = await Promise.all([start(), start(), start()]);
    const [a, ...rest] = rts;
    for (const r of rest) {
      expect(r.keys.licenseSigningKeyPem).toBe(a!.keys.licenseSigningKeyPem);
      expect(r.keys.sshHostKeyPem).toBe(a!.keys.sshHostKeyPem);
      expect(Buffer.from(r.keys.jwtSecret).equals(Buffer.from(a!.keys.jwtSecret))).toBe(true);
      expect(r.keys.apiKeyDigests).toEqual(a!.keys.apiKeyDigests);
    }
    expect(rts.filter((r) => r.generatedApiKey !== undefined)).toHaveLength(1);
    const supplied = await start({
      keys: operatorKeys({
        OUTPOST_JWT_SECRET: 's'.repeat(40),
        OUTPOST_API_KEYS: 'k1-0123456789, k2-0123456789',
      }),
    });
    expect(new TextDecoder().decode(supplied.keys.jwtSecret)).toBe('s'.repeat(40));
    expect(supplied.keys.apiKeyDigests).toEqual([sha256Hex('k1-0123456789'), sha256Hex('k2-0123456789')]);
    expect(() => operatorKeys({ OUTPOST_JWT_SECRET: 'short' })).toThrow(/at least 32/);
    expect(supplied.keys.licenseSigningKeyPem).toBe(a!.keys.licenseSigningKeyPem);
  });

  it('singleton: one leader at a time; when its lock connection dies another instance takes over', async () => {
    const a = await start();
    const b = await start();
    const ran: string[] = [];
    const sa = a.singleton('offline-sweep', 3_600_000, async () => void ran.push('a'));
    const sb = b.singleton('offline-sweep', 3_600_000, async () => void ran.push('b'));
    await sa.turn();
    await sb.turn();
    await sa.turn();
    await sb.turn();
    expect(ran).toEqual(['a', 'a']);
    expect(sa.isLeader()).toBe(true);
    expect(sb.isLeader()).toBe(false);
    const admin = await db.client();
    const pid = await sa.backendPid();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    // The session lock went with the connection; the next turn of B wins it.
    for (let i = 0; i < 100 && !sb.isLeader(); i++) await sb.turn();
    expect(sb.isLeader()).toBe(true);
    expect(ran.at(-1)).toBe('b');
  });

  it('housekeeping prunes events past retention; readers carry on', async () => {
    const a = await start();
    const b = await start();
    const gb = collector(b);
    a.fanout.publish({ kind: 'authenticated' }, 'quota_updated', { n: 1 });
    await gb.until(1);
    t += 16 * 60_000;
    await a.housekeeping();
    const left = await db.client();
    expect((await left.query('SELECT count(*)::int AS n FROM runtime_events')).rows[0].n).toBe(0);
    a.fanout.publish({ kind: 'authenticated' }, 'quota_updated', { n: 2 });
    await gb.until(2);
    expect(gb.got.map((g) => (g.data as { n: number }).n)).toEqual([1, 2]);
  });
});
