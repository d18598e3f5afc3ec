/**
 * `npm run bench -- device-scale [--devices 1000000] [--baseline 10000] [--active 10000] [--stores sqlite,postgres]
 *  [--duration 10] [--rounds 2] [--connections 100]`
 *
 * Registered-device scale: does a server slow down or grow with the number of devices that are registered but
 * not heartbeating? Per store, two servers side by side: one whose store holds `--baseline` registered devices and
 * one holding `--devices`, written straight into the store's tables (bench/lib-devices.ts). The same `--active`
 * devices heartbeat on both (autocannon -c 100 -p 1): first one pass over every active device (auth cache cold),
 * 2 s warm-up, then RSS (VmRSS), then measured windows alternating between the two servers, `--rounds` times.
 * Targets: heartbeats/s with `--devices` ≥ 0.9 × with `--baseline`, on both stores; reported: server RSS per
 * registered device = (RSS with devices − RSS with baseline) / (devices − baseline), and CPU per heartbeat.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  heartbeatRequests,
  insertDevicesPg,
  insertDevicesSqlite,
  load,
  newSalt,
  type Load,
} from './lib-devices.js';
import { fmt, r1, r3, rssBytes, sleep, startInstance, type Instance } from './lib-fleet.js';
import { BackendCpu, createBenchDb, loadAverage, procCpuSeconds, type BenchDb } from './lib-pg.js';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    devices: { type: 'string', default: '1000000' },
    baseline: { type: 'string', default: '10000' },
    active: { type: 'string', default: '10000' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '100' },
  },
  strict: true,
});
const DEVICES = Number(values.devices);
const BASELINE = Number(values.baseline);
const ACTIVE = Math.min(BASELINE, Number(values.active));
const DURATION = Number(values.duration);
const ROUNDS = Math.max(1, Number(values.rounds));
const CONNECTIONS = Number(values.connections);
const stores = values.stores.split(',').filter((s) => s === 'sqlite' || s === 'postgres');

interface Side {
  registered: number;
  server: Instance;
  db?: BenchDb;
  rssBytes: number;
  coldRps: number;
  loads: Load[];
  cpu: number;
  pgCpu: number;
}

async function prepare(store: string, registered: number, tmp: string, salt: string): Promise<Side> {
  const dataDir = join(tmp, `${store}-${registered}`);
  const t0 = performance.now();
  let db: BenchDb | undefined;
  if (store === 'postgres') {
    db = await createBenchDb('scale');
    await insertDevicesPg(db.url, registered, salt);
  } else {
    await insertDevicesSqlite(dataDir, registered, salt);
  }
  console.log(
    `${store}: ${fmt(registered)} registered devices written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const server = await startInstance(`${store}-${registered}`, { dataDir, databaseUrl: db?.url });
  const requests = heartbeatRequests(ACTIVE, salt);
  const t1 = performance.now();
  const cold = await load(server.url, requests, CONNECTIONS, 0, ACTIVE);
  const coldRps = (cold.ok / (performance.now() - t1)) * 1000;
  await load(server.url, requests, CONNECTIONS, 2);
  await sleep(1000);
  return { registered, server, db, rssBytes: rssBytes(server.pid), coldRps, loads: [], cpu: 0, pgCpu: 0 };
}

async function measure(side: Side, salt: string): Promise<Load> {
  const backends = side.db && new BackendCpu(side.db);
  await backends?.start();
  const c0 = procCpuSeconds(side.server.pid)!;
  const l = await load(side.server.url, heartbeatRequests(ACTIVE, salt), CONNECTIONS, DURATION);
  side.cpu += procCpuSeconds(side.server.pid)! - c0;
  side.pgCpu += (await backends?.stop())?.seconds ?? 0;
  side.loads.push(l);
  return l;
}

async function main(): Promise<void> {
  const loads = [loadAverage()];
  console.log(
    `device-scale bench: ${fmt(BASELINE)} vs ${fmt(DEVICES)} registered devices, ${fmt(ACTIVE)} heartbeating (autocannon -c ${CONNECTIONS} -p 1), ${ROUNDS} × ${DURATION} s per side, stores ${stores.join(', ')}; ${cpus().length} CPUs, load ${loads[0]}`,
  );
  const tmp = mkdtempSync(join(tmpdir(), 'outpost-bench-scale-'));
  const out: Record<string, unknown> = {
    bench: 'device-scale',
    devices: DEVICES,
    baseline: BASELINE,
    active: ACTIVE,
  };
  let pass = true;
  const sides: Side[] = [];
  try {
    for (const store of stores) {
      const salt = newSalt();
      const small = await prepare(store, BASELINE, tmp, salt);
      sides.push(small);
      const big = await prepare(store, DEVICES, tmp, salt);
      sides.push(big);
      for (let r = 0; r < ROUNDS; r++) {
        for (const side of r % 2 === 0 ? [small, big] : [big, small]) {
          const l = await measure(side, salt);
          console.log(
            `${store} round ${r + 1}, ${fmt(side.registered)} registered: ${fmt(l.rps)} heartbeats/s, p99 ${l.p99} ms, ${l.other} non-2xx, ${l.errors} errors`,
          );
        }
      }
      loads.push(loadAverage());
      const rate = (s: Side) => s.loads.reduce((t, l) => t + l.rps, 0) / s.loads.length;
      const ok = (s: Side) => s.loads.reduce((t, l) => t + l.ok, 0);
      const ratio = rate(big) / rate(small);
      const rssPerDevice = (big.rssBytes - small.rssBytes) / (DEVICES - BASELINE);
      const us = (s: Side, x: number) => (x / Math.max(1, ok(s))) * 1e6;
      console.log(
        `${store}: ${fmt(rate(big))} vs ${fmt(rate(small))} heartbeats/s → ratio ${r3(ratio)} (target ≥ 0.9); RSS ${r1(big.rssBytes / 2 ** 20)} vs ${r1(small.rssBytes / 2 ** 20)} MB → ${r1(rssPerDevice)} B per registered device; server CPU ${r1(us(big, big.cpu))} vs ${r1(us(small, small.cpu))} µs/hb${store === 'postgres' ? `, PostgreSQL backends ${r1(us(big, big.pgCpu))} vs ${r1(us(small, small.pgCpu))} µs/hb` : ''}; cold pass ${fmt(big.coldRps)} vs ${fmt(small.coldRps)}/s`,
      );
      pass &&= ratio >= 0.9;
      out[store] = {
        rps: Math.round(rate(big)),
        baseline_rps: Math.round(rate(small)),
        ratio: r3(ratio),
        p99_ms: Math.max(...big.loads.map((l) => l.p99)),
        baseline_p99_ms: Math.max(...small.loads.map((l) => l.p99)),
        rss_mb: r1(big.rssBytes / 2 ** 20),
        baseline_rss_mb: r1(small.rssBytes / 2 ** 20),
        rss_bytes_per_device: r1(rssPerDevice),
        server_us_per_hb: r1(us(big, big.cpu)),
        baseline_server_us_per_hb: r1(us(small, small.cpu)),
        ...(store === 'postgres'
          ? { pg_us_per_hb: r1(us(big, big.pgCpu)), baseline_pg_us_per_hb: r1(us(small, small.pgCpu)) }
          : {}),
        cold_rps: Math.round(big.coldRps),
        baseline_cold_rps: Math.round(small.coldRps),
        failed: [...big.loads, ...small.loads].reduce((t, l) => t + l.other + l.errors, 0),
      };
      for (const s of [small, big]) {
        await s.server.stop();
        await s.db?.drop().catch((e: unknown) => console.error('could not drop', s.db?.name, e));
      }
      sides.length = 0;
    }
    out.load = loads;
    out.pass = pass;
    console.log(JSON.stringify(out));
  } finally {
    for (const s of sides) {
      await s.server.stop();
      await s.db?.drop().catch(() => undefined);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
