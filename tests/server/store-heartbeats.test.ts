import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src-main/server/store/store.js';
import { withPg } from '../helpers/pg.js';
import { inAnHour, openFleet, STORE_KINDS, type StoreFleet } from './store-helpers.js';

/** Write-behind heartbeats seen from several instances on one database. The timer is slowed down to an hour so
 * that each test decides when a flush happens. */
const SLOW = 3_600_000;

async function seed(store: Store, keys: string[]) {
  for (const k of keys)
    await store.devices.create({ device_key: k, note: null, token_hash: 't', token_expires_at: inAnHour() });
}

/** Many devices at once, straight into the PostgreSQL tables (what create() writes, in two statements). */
async function seedMany(url: string, prefix: string, n: number) {
  await withPg(url, async (c) => {
    await c.query(
      `INSERT INTO devices (device_key, status, created_at, updated_at)
       SELECT $1 || i, 'registered', now(), now() FROM generate_series(0, $2 - 1) i`,
      [prefix, n],
    );
    await c.query(
      `INSERT INTO device_heartbeats (device_key) SELECT $1 || i FROM generate_series(0, $2 - 1) i`,
      [prefix, n],
    );
  });
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

describe.each(STORE_KINDS)('heartbeats across instances (%s)', (kind) => {
  let fleet: StoreFleet;
  afterEach(async () => {
    await fleet.dispose();
  });

  it('visible at once on the instance that took them, on another after the flush, kept by close()', async () => {
    fleet = await openFleet(kind, { heartbeatFlushMs: SLOW });
    const a = await fleet.open();
    const b = await fleet.open();
    await seed(a, ['hb-1', 'hb-2']);
    const t = '2026-05-05T05:05:05.123Z';
    a.devices.recordHeartbeat('hb-1', { last_seen: t, info: { ip_lan: '10.1.1.1', mac: 'AA' } });
    expect(await a.devices.get('hb-1')).toMatchObject({ last_seen: t, ip_lan: '10.1.1.1' });
    expect((await b.devices.get('hb-1'))!.last_seen).toBeNull();
    await a.devices.flush();
    expect(await b.devices.get('hb-1')).toMatchObject({ last_seen: t, ip_lan: '10.1.1.1', mac: 'AA' });
    a.devices.recordHeartbeat('hb-2', { last_seen: t, info: {} });
    await a.close();
    expect((await b.devices.get('hb-2'))!.last_seen).toBe(t);
  });
});

// STORE_KINDS lacks 'postgres' only where no PostgreSQL answers outside CI (pgMissing throws under CI=true).
describe.skipIf(!STORE_KINDS.includes('postgres'))('heartbeats on PostgreSQL', () => {
  let fleet: StoreFleet;
  afterEach(async () => {
    await fleet.dispose();
  });

  it('a flush carrying older heartbeats (another instance, a slow connection) never moves last_seen or its fields back', async () => {
    fleet = await openFleet('postgres', { heartbeatFlushMs: SLOW });
    const [a, b] = [await fleet.open(), await fleet.open()];
    await seed(a, ['old-new']);
    a.devices.recordHeartbeat('old-new', {
      last_seen: '2026-01-01T00:00:10.000Z',
      info: { ip_lan: 'newer' },
    });
    b.devices.recordHeartbeat('old-new', {
      last_seen: '2026-01-01T00:00:05.000Z',
      info: { ip_lan: 'older' },
    });
    await a.devices.flush();
    await b.devices.flush();
    const stored = await withPg(fleet.url!, (c) =>
      c.query("SELECT last_seen, ip_lan FROM device_heartbeats WHERE device_key = 'old-new'"),
    );
    expect(stored.rows[0]).toMatchObject({
      last_seen: new Date('2026-01-01T00:00:10.000Z'),
      ip_lan: 'newer',
    });
  });

  it('three instances flushing the same 3,000 devices at once (recorded in different orders) never deadlock', async () => {
    fleet = await openFleet('postgres', { heartbeatFlushMs: SLOW });
    const stores = [await fleet.open(), await fleet.open(), await fleet.open()];
    const keys = await seedMany(fleet.url!, 'dl-', 3000);
    const orders = [keys, [...keys].reverse(), [...keys.slice(1500), ...keys.slice(0, 1500)]];
    for (let round = 0; round < 3; round++) {
      stores.forEach((s, i) => {
        const t = new Date(Date.UTC(2026, 0, 1, 0, round, i)).toISOString();
        for (const k of orders[i]!) s.devices.recordHeartbeat(k, { last_seen: t, info: { mac: `s${i}` } });
      });
      // Each flush is one statement locking its rows in device_key order, whatever order they arrived in.
      await Promise.all(stores.map((s) => s.devices.flush()));
    }
    const rows = await withPg(fleet.url!, (c) =>
      c.query<{ n: string; max: Date; min: Date }>(
        "SELECT count(*) AS n, max(last_seen) AS max, min(last_seen) AS min FROM device_heartbeats WHERE mac = 's2'",
      ),
    );
    // The newest heartbeat (instance 2, round 2) wins on every row.
    expect(rows.rows[0]).toMatchObject({ n: '3000', min: new Date(Date.UTC(2026, 0, 1, 0, 2, 2)) });
  });

  it('heartbeat rows are narrow, fillfactor < 100, indexed by key only; repeated flushes are HOT updates', async () => {
    fleet = await openFleet('postgres', { heartbeatFlushMs: SLOW });
    await (await fleet.open()).close(); // migrates
    const keys = await seedMany(fleet.url!, 'hot-', 5000);
    await withPg(fleet.url!, async (c) => {
      const opts = await c.query("SELECT reloptions FROM pg_class WHERE relname = 'device_heartbeats'");
      expect(opts.rows[0].reloptions).toEqual(['fillfactor=50']);
      const idx = await c.query("SELECT indexname FROM pg_indexes WHERE tablename = 'device_heartbeats'");
      expect(idx.rows.map((r) => r.indexname)).toEqual(['device_heartbeats_pkey']);
    });
    // As in a fleet: each flush carries the devices that beat in the last half second, a slice spread over
    // the table (here a tenth, 500 rows). Ten flushes give every row its first values (wider rows, not
    // measured), the next ten are the steady state that is measured.
    // Each set of rounds runs on a fresh instance that is closed after it: a backend reports its table
    // statistics when it exits (an idle one only every 10 s).
    const flushRounds = async (from: number) => {
      const s = await fleet.open();
      for (let round = from; round < from + 10; round++) {
        const t = new Date(Date.UTC(2026, 0, 1, 0, 0, round)).toISOString();
        for (const k of keys.filter((_, i) => i % 10 === round % 10))
          s.devices.recordHeartbeat(k, { last_seen: t, info: { ip_address: `10.0.0.${round % 10}` } });
        await s.devices.flush();
      }
      await s.close();
    };
    // Table statistics reach pg_stat_user_tables shortly after the writing backend goes idle: poll for them.
    const statsAtLeast = async (updates: number) => {
      let out = { upd: 0, hot: 0 };
      await vi.waitFor(
        async () => {
          const st = await withPg(fleet.url!, (c) =>
            c.query<{ upd: string; hot: string }>(
              "SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname = 'device_heartbeats'",
            ),
          );
          out = { upd: Number(st.rows[0]!.upd), hot: Number(st.rows[0]!.hot) };
          expect(out.upd).toBeGreaterThanOrEqual(updates);
        },
        { timeout: 15_000, interval: 200 },
      );
      return out;
    };
    await flushRounds(0);
    const before = await statsAtLeast(5000);
    await flushRounds(10);
    const after = await statsAtLeast(before.upd + 5000);
    // Measured here: 100 % (the narrow table's whole update traffic in the steady state).
    expect((after.hot - before.hot) / (after.upd - before.upd)).toBeGreaterThanOrEqual(0.95);
  });
});
