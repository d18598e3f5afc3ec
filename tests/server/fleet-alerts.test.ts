import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateRules } from '../../src-main/server/alerts/rules.js';
import { alertSettings } from '../../src-main/server/alerts/settings.js';
import { resolveServerConfig } from '../../src-main/server/config.js';
import type { Runtime } from '../../src-main/server/runtime/runtime.js';
import { createPostgresRuntime } from '../../src-main/server/runtime/postgres/index.js';
import { createSqliteRuntime } from '../../src-main/server/runtime/sqlite/index.js';
import type { AlertRecord } from '../../src-main/server/store/alerts-repo.js';
import type { PostgresStore } from '../../src-main/server/store/postgres/index.js';
import { createSqliteStore } from '../../src-main/server/store/sqlite/index.js';
import type { Store } from '../../src-main/server/store/store.js';
import { TEST_STORE } from '../helpers/server.js';
import { openFleet, type StoreFleet, registeredAt } from './store-helpers.js';

/**
 * The alert rules as a fleet singleton, on the store the project selects (SQLite: two stores and two runtimes
 * on one data dir; PostgreSQL: two pools and two runtimes on one database). One instance evaluates at a time,
 * each alert is raised once even when two passes overlap, and a survivor takes over. Time is injected.
 */
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const SILENCE_SEC = 180;
const EVERY_MS = 3_600_000; // turns are driven by the test

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe(`alert rules as a fleet singleton on ${TEST_STORE}`, () => {
  it('one evaluator at a time, each alert raised once across instances, a survivor takes over', async () => {
    // SQLite: stores of our own on one data dir, which the runtimes share too.
    const dir = mkdtempSync(join(tmpdir(), 'outpost-fleet-alerts-'));
    const fleet: StoreFleet | undefined = TEST_STORE === 'postgres' ? await openFleet('postgres') : undefined;
    cleanup.push(async () => {
      await fleet?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });
    let t = T0;
    const settings = { ...alertSettings({}, 60), silenceSec: SILENCE_SEC };

    const instance = async (name: string) => {
      let store: Store;
      let rt: Runtime;
      if (fleet) {
        store = await fleet.open();
        rt = await createPostgresRuntime({
          pool: (store as PostgresStore).db.pool,
          url: fleet.url!,
          now: () => t,
        });
      } else {
        const s = createSqliteStore(dir);
        store = s;
        cleanup.push(() => s.close());
        const { config } = resolveServerConfig({
          dataDir: dir,
          env: { OUTPOST_API_KEYS: 'k-0123456789abcdef' },
        });
        rt = createSqliteRuntime(config, { pollMs: 3_600_000, now: () => t });
      }
      cleanup.push(() => rt.close());
      const raised: AlertRecord[] = [];
      let passes = 0;
      const rc = {
        alerts: store.alerts,
        webhooks: store.webhooks,
        settings,
        silenceSec: () => SILENCE_SEC,
        changed: (r: readonly AlertRecord[]) => void raised.push(...r),
      };
      const pass = () => evaluateRules(rc, t);
      let last: Promise<void> = Promise.resolve();
      const singleton = rt.singleton('alert-rules', EVERY_MS, () => {
        passes++;
        return (last = pass());
      }) as ReturnType<Runtime['singleton']> & { turn(): unknown };
      cleanup.push(async () => singleton.stop());
      return {
        name,
        store,
        raised,
        passes: () => passes,
        singleton,
        pass,
        async turn() {
          await singleton.turn();
          await last;
        },
      };
    };
    const a = await instance('a');
    const b = await instance('b');

    for (let i = 0; i < 5; i++) await registeredAt(a.store, `fleet-alert-${i}`, T0);
    t = T0 + SILENCE_SEC * 1000 + 2000;
    for (let i = 0; i < 3; i++) await Promise.all([a.turn(), b.turn()]);
    // Exactly one instance evaluated, and every silent device has one open alert.
    expect([a.passes(), b.passes()].filter((n) => n > 0)).toHaveLength(1);
    expect(a.singleton.isLeader() !== b.singleton.isLeader()).toBe(true);
    expect([...a.raised, ...b.raised].map((r) => r.target).sort()).toEqual(
      Array.from({ length: 5 }, (_, i) => `fleet-alert-${i}`),
    );

    // Two passes overlapping (as during a takeover) raise each new silence once between them.
    for (let i = 5; i < 25; i++) await registeredAt(a.store, `fleet-alert-${i}`, t);
    t += SILENCE_SEC * 1000 + 2000;
    const [ba, bb] = [a.raised.length, b.raised.length];
    await Promise.all([a.pass(), b.pass(), a.pass()]);
    const fresh = [...a.raised.slice(ba), ...b.raised.slice(bb)].map((r) => r.target);
    expect(fresh.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `fleet-alert-${i + 5}`).sort());
    const open = await a.store.alerts.list({ state: 'open', type: 'device.offline', offset: 0, limit: 100 });
    expect(open.total).toBe(25);

    // The leader dies; the survivor takes over and raises the next silence, once.
    const [leader, survivor] = a.singleton.isLeader() ? [a, b] : [b, a];
    leader.singleton.stop();
    await registeredAt(survivor.store, 'fleet-alert-late', t);
    t += SILENCE_SEC * 1000 + 2000 + 3 * EVERY_MS; // past a dead holder's lease too
    for (let i = 0; i < 50 && !survivor.singleton.isLeader(); i++) await survivor.turn();
    expect(survivor.singleton.isLeader()).toBe(true);
    await survivor.turn();
    expect(survivor.raised.filter((r) => r.target === 'fleet-alert-late')).toHaveLength(1);
    expect((await a.store.alerts.list({ state: 'open', offset: 0, limit: 100 })).total).toBe(26);
  });
});
