import { afterEach, describe, expect, it } from 'vitest';
import { startOfflineSweep } from '../../src-main/server/devices/offline-sweep.js';
import { localSingleton } from '../../src-main/server/runtime/local.js';
import type { Runtime } from '../../src-main/server/runtime/runtime.js';
import { openFleet, STORE_KINDS, type StoreFleet, registeredAt } from './store-helpers.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const fleets: StoreFleet[] = [];
afterEach(async () => {
  for (const f of fleets.splice(0)) await f.dispose();
});

/**
 * Presence by each device's own group, with the clock injected (no sleeps): the list's state, and the offline
 * sweep's `offline` and `online` timeline entries.
 */
describe.each(STORE_KINDS)('presence by group threshold on %s', (kind) => {
  it("judges list state and the sweep by each device's group threshold at the injected time", async () => {
    const fleet = await openFleet(kind);
    fleets.push(fleet);
    const store = await fleet.open();
    const tight = await store.groups.create(
      { name: 'tight', description: null, heartbeat_interval_sec: 10, silence_threshold_sec: 30 },
      iso(T0),
    );
    const loose = await store.groups.create(
      { name: 'loose', description: null, heartbeat_interval_sec: 60, silence_threshold_sec: 600 },
      iso(T0),
    );
    for (const k of ['p-tight', 'p-loose', 'p-default']) await registeredAt(store, k, T0);
    const policy = { now: T0, defaultThresholdSec: 180 };
    expect(await store.devices.move(tight.id, { keys: ['p-tight'] }, policy, iso(T0))).toBe(1);
    expect(await store.devices.move(loose.id, { keys: ['p-loose'] }, policy, iso(T0))).toBe(1);
    const stateAt = async (now: number) => {
      const { rows } = await store.devices.listPage(
        { sort: 'device_key', order: 'asc', offset: 0, limit: 10, search: 'p-' },
        { now, defaultThresholdSec: 180 },
      );
      return Object.fromEntries(rows.map((r) => [r.device_key, r.state]));
    };
    expect(await stateAt(T0 + 20_000)).toEqual({
      'p-default': 'online',
      'p-loose': 'online',
      'p-tight': 'online',
    });
    expect(await stateAt(T0 + 100_000)).toEqual({
      'p-default': 'online',
      'p-loose': 'online',
      'p-tight': 'offline',
    });
    expect(await stateAt(T0 + 300_000)).toEqual({
      'p-default': 'offline',
      'p-loose': 'online',
      'p-tight': 'offline',
    });

    let now = T0 + 100_000;
    const published: string[] = [];
    // Only the singleton is used, and its timer never fires within the test: the turns are driven by hand.
    const runtime = {
      singleton: (_name: string, everyMs: number, job: () => Promise<void>) =>
        localSingleton(everyMs, job, () => ({ warn: () => undefined })),
    } as Pick<Runtime, 'singleton'> as Runtime;
    const sweep = startOfflineSweep({
      runtime,
      devices: store.devices,
      events: store.deviceEvents,
      publish: (_t, _e, d) => published.push((d as { device_key: string }).device_key),
      heartbeatIntervalSec: 60,
      now: () => now,
      everyMs: 3_600_000,
    });
    try {
      expect(await sweep.sweep()).toBe(1);
      expect(published).toEqual(['p-tight']);
      now = T0 + 300_000;
      expect(await sweep.sweep()).toBe(1);
      expect(published).toEqual(['p-tight', 'p-default']);
      // p-tight beats again: the next sweep records its comeback, and a new silence is raised again.
      store.devices.recordHeartbeat('p-tight', { last_seen: iso(T0 + 310_000), info: {} });
      now = T0 + 320_000;
      expect(await sweep.sweep()).toBe(0);
      now = T0 + 400_000;
      expect(await sweep.sweep()).toBe(1);
      const events = (await store.deviceEvents.page('p-tight', 0, 10)).rows.map((e) => [e.type, e.at]);
      expect(events.filter(([t]) => t === 'offline' || t === 'online')).toEqual([
        ['offline', iso(T0 + 400_000)],
        ['online', iso(T0 + 320_000)],
        ['offline', iso(T0 + 100_000)],
      ]);
      expect(await store.deviceEvents.latest('p-tight', ['offline', 'online'])).toEqual({
        offline: iso(T0 + 400_000),
        online: iso(T0 + 320_000),
      });
    } finally {
      sweep.singleton.stop();
    }
  });
});
