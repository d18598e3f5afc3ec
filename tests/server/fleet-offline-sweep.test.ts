import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../src-shared/api/realtime.js';
import { startOfflineSweep } from '../../src-main/server/devices/offline-sweep.js';
import { createPostgresRuntime, type PostgresRuntime } from '../../src-main/server/runtime/postgres/index.js';
import type { PgSingleton } from '../../src-main/server/runtime/postgres/singleton.js';
import type { PostgresStore } from '../../src-main/server/store/postgres/index.js';
import { SWEEP_CHUNK } from '../../src-main/server/store/sqlite/devices.js';
import { openFleet, STORE_KINDS, type StoreFleet, registeredAt } from './store-helpers.js';

/**
 * The fleet-wide offline sweep: devices silent for 3 heartbeat intervals are announced as `device_offline` once
 * for the fleet, not once per instance. Times come from an injected clock; nothing sleeps.
 */
const INTERVAL_SEC = 60;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
/** 3 missed intervals, plus the margin for heartbeats still in another instance's buffer. */
const SILENT_MS = 3 * INTERVAL_SEC * 1000 + 1000;

const fleets: StoreFleet[] = [];
afterEach(async () => {
  for (const f of fleets.splice(0)) await f.dispose();
});

// Runs on both stores inside this file (the server-postgres project leaves the file out: vitest.config.ts).
/** A silence policy whose cutoff is `cutoff` for the default group (no threshold, no margin). */
const before = (cutoff: string) => ({ now: Date.parse(cutoff), marginMs: 0, defaultThresholdSec: 0 });

describe.each(STORE_KINDS)('DevicesRepo.claimOffline on %s', (kind) => {
  it('returns each silent registered device once, across two instances racing, and again after a new silence', async () => {
    const fleet = await openFleet(kind);
    fleets.push(fleet);
    const [a, b] = [await fleet.open(), await fleet.open()];
    const keys = Array.from({ length: 30 }, (_, i) => `sweep-${String(i).padStart(2, '0')}`);
    for (const k of keys) await registeredAt(a, k, T0);
    await registeredAt(a, 'sweep-fresh', T0 + 200_000);
    await a.devices.create({
      device_key: 'sweep-pending',
      note: null,
      token_hash: 't-p',
      token_expires_at: iso(T0 + 3600_000),
    });
    await registeredAt(a, 'sweep-revoked', T0);
    expect(await a.devices.revoke('sweep-revoked', iso(T0 + 1))).toBe(true);

    const cutoff = iso(T0 + 100_000);
    const [ra, rb] = await Promise.all([
      a.devices.claimOffline(before(cutoff), 7),
      b.devices.claimOffline(before(cutoff), 7),
    ]);
    const rest = [
      ...(await a.devices.claimOffline(before(cutoff), 1000)),
      ...(await b.devices.claimOffline(before(cutoff), 1000)),
    ];
    const all = [...ra, ...rb, ...rest].map((d) => d.device_key).sort();
    // Exactly the silent registered ones, each once: not the fresh, pending or revoked device.
    expect(all).toEqual(keys);
    expect(ra.every((d) => d.last_seen === iso(T0))).toBe(true);
    expect(await a.devices.claimOffline(before(cutoff), 1000)).toEqual([]);

    // A heartbeat still buffered on the sweeping instance counts: written before the sweep reads.
    a.devices.recordHeartbeat('sweep-03', { last_seen: iso(T0 + 150_000), info: {} });
    expect(await a.devices.claimOffline(before(iso(T0 + 140_000)), 1000)).toEqual([]);
    // Silent again after that beat: announced again, once.
    const again = await b.devices.claimOffline(before(iso(T0 + 400_000)), 1000);
    expect(again.map((d) => d.device_key)).toEqual(['sweep-03', 'sweep-fresh']);
    expect(again[0]!.last_seen).toBe(iso(T0 + 150_000));
    expect(await a.devices.claimOffline(before(iso(T0 + 400_000)), 1000)).toEqual([]);
  });
});

describe('offline sweep on SQLite at scale', () => {
  it('claims across key ranges of SWEEP_CHUNK rows, each device once, letting the event loop run between ranges', async () => {
    const fleet = await openFleet('sqlite');
    fleets.push(fleet);
    const store = await fleet.open();
    // Two and a half ranges, one device in five silent: a batch fills only across range boundaries.
    const n = SWEEP_CHUNK * 2 + SWEEP_CHUNK / 2;
    const keys = Array.from({ length: n }, (_, i) => `page-${String(i).padStart(6, '0')}`);
    for (const [i, k] of keys.entries()) await registeredAt(store, k, i % 5 === 0 ? T0 : T0 + 200_000);
    const silent = keys.filter((_, i) => i % 5 === 0);

    let turns = 0;
    let spinning = true;
    const spin = () => {
      if (!spinning) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const cutoff = iso(T0 + 100_000);
    const claimed: string[] = [];
    const batches: number[] = [];
    for (;;) {
      const batch = await store.devices.claimOffline(before(cutoff), 1234);
      batches.push(batch.length);
      claimed.push(...batch.map((d) => d.device_key));
      if (batch.length < 1234) break;
    }
    spinning = false;
    expect(claimed).toEqual(silent);
    expect(batches.slice(0, -1).every((b) => b === 1234)).toBe(true);
    // The loop ran between ranges rather than waiting for one scan of the whole table.
    expect(turns).toBeGreaterThanOrEqual(2);
    // A later sweep starts from the beginning again and finds nothing left to raise.
    expect(await store.devices.claimOffline(before(cutoff), 1234)).toEqual([]);
    // A device that beats and falls silent again in the first range is found by the next sweep.
    store.devices.recordHeartbeat(keys[5]!, { last_seen: iso(T0 + 150_000), info: {} });
    expect(
      (await store.devices.claimOffline(before(iso(T0 + 160_000)), 1234)).map((d) => d.device_key),
    ).toEqual([keys[5]]);
  }, 120_000);
});

// STORE_KINDS lacks 'postgres' only where no PostgreSQL answers outside CI (pgMissing throws under CI=true).
describe.skipIf(!STORE_KINDS.includes('postgres'))('offline sweep as a fleet singleton on PostgreSQL', () => {
  const runtimes: PostgresRuntime[] = [];
  afterEach(async () => {
    for (const r of runtimes.splice(0)) await r.close();
  });

  it('one instance sweeps at a time; each silence is announced once for the fleet; a survivor takes over', async () => {
    const fleet = await openFleet('postgres');
    fleets.push(fleet);
    const [sa, sb] = [(await fleet.open()) as PostgresStore, (await fleet.open()) as PostgresStore];
    let now = T0;
    const clock = () => now;
    const start = async (store: PostgresStore) => {
      const rt = await createPostgresRuntime({ pool: store.db.pool, url: fleet.url!, now: clock });
      runtimes.push(rt);
      const sweep = startOfflineSweep({
        runtime: rt,
        devices: store.devices,
        events: store.deviceEvents,
        publish: (t, e, d) => rt.fanout.publish(t, e, d),
        heartbeatIntervalSec: INTERVAL_SEC,
        now: clock,
        everyMs: 3_600_000, // turns are driven by the test
      });
      return { rt, sweep, singleton: sweep.singleton as PgSingleton };
    };
    const a = await start(sa);
    const b = await start(sb);
    // What a watcher socket on instance B would be sent.
    const seenOnB: { event: ServerEvent; key: string }[] = [];
    b.rt.fanout.bind((_t, event, data) => {
      seenOnB.push({ event, key: (data as { device_key: string }).device_key });
    });

    // The leader's events reach B through the outbox, appended after the publish returns: read until `n`
    // arrived (or give up), then once more, so a duplicate would show.
    const readOnB = async (n: number) => {
      for (let i = 0; i < 200 && seenOnB.length < n; i++) {
        await b.rt.poll();
        await new Promise((r) => setTimeout(r, 10));
      }
      await b.rt.poll();
    };

    await registeredAt(sa, 'fleet-dev-1', T0);
    await registeredAt(sa, 'fleet-dev-2', T0);
    // 3 intervals less a second: still online.
    now = T0 + 3 * INTERVAL_SEC * 1000 - 1000;
    await Promise.all([a.singleton.turn(), b.singleton.turn()]);
    expect(a.singleton.isLeader() !== b.singleton.isLeader()).toBe(true);
    await b.rt.poll();
    expect(seenOnB).toEqual([]);

    now = T0 + SILENT_MS + 1;
    for (let i = 0; i < 3; i++) await Promise.all([a.singleton.turn(), b.singleton.turn()]);
    await readOnB(2);
    expect(
      seenOnB
        .filter((e) => e.event === 'device_offline')
        .map((e) => e.key)
        .sort(),
    ).toEqual(['fleet-dev-1', 'fleet-dev-2']);

    // The leader dies (its lock connection with it): the other takes over and raises a new silence once.
    const [leader, survivor] = a.singleton.isLeader() ? [a, b] : [b, a];
    leader.singleton.stop();
    await registeredAt(sa, 'fleet-dev-3', now);
    now += SILENT_MS + 1;
    for (let i = 0; i < 50 && !survivor.singleton.isLeader(); i++) await survivor.singleton.turn();
    expect(survivor.singleton.isLeader()).toBe(true);
    await survivor.singleton.turn();
    await readOnB(3);
    expect(seenOnB.map((e) => e.key).sort()).toEqual(['fleet-dev-1', 'fleet-dev-2', 'fleet-dev-3']);
    expect(new Set(seenOnB.map((e) => e.event))).toEqual(new Set(['device_offline']));
  });
});
