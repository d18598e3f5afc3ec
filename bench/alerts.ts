/**
 * `npm run bench -- alerts [--devices 100000] [--silent-every 100] [--passes 5] [--stores sqlite,postgres]`
 *
 * Alert evaluation over a large fleet: one pass of every rule (evaluateRules, what the fleet's evaluator runs)
 * with `--devices` registered devices, one in `--silent-every` silent. Per store: the first pass (opens the
 * silence alerts), then `--passes` steady passes (nothing changes: the common case), then a mass outage (every
 * device silent: the pass that opens 100,000 alerts) and a steady pass during it (past the 60 s last_seen
 * refresh, so it rewrites them all). Target: < 1 s per pass on each store. Baseline, side by side: the existing
 * offline sweep's scan of the same devices (`claimOffline` with nothing to claim), as a ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { evaluateRules, type RuleContext } from '../src-main/server/alerts/rules.js';
import { alertSettings } from '../src-main/server/alerts/settings.js';
import { createPostgresStore } from '../src-main/server/store/postgres/index.js';
import { createSqliteStore } from '../src-main/server/store/sqlite/index.js';
import type { Store } from '../src-main/server/store/store.js';
import { insertDevicesPg, insertDevicesSqlite, newSalt } from './lib-devices.js';
import { createBenchDb, loadAverage } from './lib-pg.js';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    devices: { type: 'string', default: '100000' },
    'silent-every': { type: 'string', default: '100' },
    passes: { type: 'string', default: '5' },
    stores: { type: 'string', default: 'sqlite,postgres' },
  },
  strict: true,
});
const N = Number(values.devices);
const EVERY = Number(values['silent-every']);
const PASSES = Number(values.passes);
const SILENCE_SEC = 180;

const ms = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return Math.round((performance.now() - t0) * 10) / 10;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(kind: 'sqlite' | 'postgres') {
  const now = Date.now();
  const fresh = new Date(now - 10_000).toISOString();
  const salt = newSalt();
  let store: Store;
  let setAllSilent: () => Promise<void>;
  let cleanup: () => Promise<void>;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-alerts-'));
    await insertDevicesSqlite(dir, N, salt);
    const db = new Database(join(dir, 'server.db'));
    // Every device fresh but one in EVERY, which stays silent (last seen an hour ago).
    db.prepare(`UPDATE devices SET last_seen = ? WHERE CAST(substr(device_key, 7) AS INTEGER) % ? != 0`).run(
      fresh,
      EVERY,
    );
    setAllSilent = async () =>
      void db.prepare('UPDATE devices SET last_seen = ?').run(new Date(now - 3600_000).toISOString());
    store = createSqliteStore(dir);
    cleanup = async () => {
      db.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const bdb = await createBenchDb('alerts');
    await insertDevicesPg(bdb.url, N, salt);
    const c = new pg.Client({ connectionString: bdb.url });
    await c.connect();
    await c.query(`UPDATE device_heartbeats SET last_seen = $1 WHERE substr(device_key, 7)::int % $2 != 0`, [
      fresh,
      EVERY,
    ]);
    await c.query('VACUUM ANALYZE device_heartbeats');
    setAllSilent = async () =>
      void (await c.query('UPDATE device_heartbeats SET last_seen = $1', [
        new Date(now - 3600_000).toISOString(),
      ]));
    store = await createPostgresStore({ url: bdb.url, poolMax: 4 });
    cleanup = async () => {
      await c.end();
      await store.close();
      await bdb.drop();
    };
  }
  const rc: RuleContext = {
    alerts: store.alerts,
    webhooks: store.webhooks,
    settings: { ...alertSettings({}, 60), silenceSec: SILENCE_SEC },
    silenceSec: () => SILENCE_SEC,
    changed: () => undefined,
  };
  const policy = { now, defaultThresholdSec: SILENCE_SEC, marginMs: 1000 };
  // The offline sweep marks what it claims: claim once so the measured scans claim nothing (steady state).
  while ((await store.devices.claimOffline(policy, 100_000)).length > 0);
  try {
    const first = await ms(() => evaluateRules(rc, now));
    const steady: number[] = [];
    const sweep: number[] = [];
    for (let i = 0; i < PASSES; i++) {
      steady.push(await ms(() => evaluateRules(rc, now + i)));
      sweep.push(await ms(() => store.devices.claimOffline(policy, 1000)));
    }
    await setAllSilent();
    const outage = await ms(() => evaluateRules(rc, now + 1000));
    const outageSteady = await ms(() => evaluateRules(rc, now + 62_000));
    const open = (await store.alerts.openCounts())['device.offline'] ?? 0;
    return {
      store: kind,
      devices: N,
      silent: Math.ceil(N / EVERY),
      first_pass_ms: first,
      steady_pass_ms_median: median(steady),
      steady_pass_ms_max: Math.max(...steady),
      baseline_sweep_scan_ms_median: median(sweep),
      ratio_steady_to_sweep: Math.round((median(steady) / median(sweep)) * 100) / 100,
      mass_outage_pass_ms: outage,
      mass_outage_steady_pass_ms: outageSteady,
      open_after_outage: open,
    };
  } finally {
    await cleanup();
  }
}

const results = [];
for (const kind of values.stores.split(',') as ('sqlite' | 'postgres')[]) {
  const r = await measure(kind);
  console.log(
    `${kind}: ${N} devices, ${r.silent} silent: first ${r.first_pass_ms} ms, steady median ${r.steady_pass_ms_median} ms ` +
      `(max ${r.steady_pass_ms_max}; sweep scan ${r.baseline_sweep_scan_ms_median} ms, ratio ${r.ratio_steady_to_sweep}); ` +
      `mass outage ${r.mass_outage_pass_ms} ms, then ${r.mass_outage_steady_pass_ms} ms (${r.open_after_outage} open)`,
  );
  results.push(r);
}
console.log(JSON.stringify({ bench: 'alerts', load: loadAverage(), results }));
