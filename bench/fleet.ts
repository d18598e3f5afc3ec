/**
 * `npm run bench -- fleet [--instances 1,3] [--devices 10000] [--duration 10] [--connections 100]`
 * (also `npm run bench -- heartbeat --store postgres --instances 1,3`, which runs this)
 *
 * Heartbeats through a real load balancer: N instances on one fresh PostgreSQL database (devices written straight
 * into its tables, bench/lib-devices.ts) behind a private nginx running the shipped example config
 * (docs/nginx/outpost-fleet.conf, the e2e suite's launcher), autocannon -c 100 -p 1 against nginx. Per level:
 * one pass over every device on every instance directly (auth caches cold; a fleet's steady state is every
 * instance holding every device), 2 s warm-up through nginx, then `--duration` s measured: heartbeats/s, p99,
 * and CPU per heartbeat from /proc/<pid>/stat of every instance, of nginx's worker(s) and of the PostgreSQL
 * backends serving the database (their CPU only; walwriter and checkpointer are shared with other sessions).
 * From those per-heartbeat costs: the cores 1,000,000 devices at 60 s (16,667 heartbeats/s) need on paper.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startNginx, type Nginx } from '../tests/e2e/lib/fleet.js';
import { heartbeatRequests, insertDevicesPg, load, newSalt } from './lib-devices.js';
import { childPids, cpuOf, fmt, r1, sleep, startInstance, type Instance } from './lib-fleet.js';
import { BackendCpu, createBenchDb, loadAverage, procCpuSeconds } from './lib-pg.js';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    instances: { type: 'string', default: '1,3' },
    devices: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '100' },
    // Accepted so that `heartbeat --store postgres --instances …` can hand its arguments over unchanged.
    store: { type: 'string', default: 'postgres' },
    rounds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '2' },
  },
  strict: true,
});
const LEVELS = values.instances
  .split(',')
  .map(Number)
  .filter((n) => n >= 1);
const DEVICES = Number(values.devices);
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const WARMUP = Number(values.warmup);
/** 1,000,000 devices at one heartbeat per 60 s. */
const FLEET_HB_PER_S = 1_000_000 / 60;

interface Level {
  instances: number;
  rps: number;
  p99: number;
  ok: number;
  failed: number;
  /** µs of CPU per heartbeat. */
  instanceUs: number[];
  nginxUs: number;
  pgUs: number;
  loadGenUs: number;
  coldRps: number;
  /** CPU ms per second of each instance with no load. */
  idleMsPerS: number[];
}

async function runLevel(
  n: number,
  dbUrl: string,
  db: Awaited<ReturnType<typeof createBenchDb>>,
  tmp: string,
  salt: string,
): Promise<Level> {
  const instances: Instance[] = [];
  let nginx: Nginx | undefined;
  try {
    instances.push(
      ...(await Promise.all(
        Array.from({ length: n }, (_, i) =>
          startInstance(`i${i}`, {
            dataDir: join(tmp, `l${n}-i${i}`),
            databaseUrl: dbUrl,
            env: { OUTPOST_TRUST_PROXY: '1' },
          }),
        ),
      )),
    );
    nginx = await startNginx(
      join(tmp, `nginx-${n}`),
      instances.map((i) => Number(new URL(i.url).port)),
    );
    const master = Number(readFileSync(join(nginx.prefix, 'nginx.pid'), 'utf8').trim());
    const nginxPids = () => [master, ...childPids(master)];
    const requests = heartbeatRequests(DEVICES, salt);
    // Every instance once over every device, directly: with round robin and 60 s intervals every instance sees
    // every device within minutes and keeps its credentials 10 min, so the steady state is all caches warm.
    const t0 = performance.now();
    let coldOk = 0;
    for (const i of instances)
      coldOk += (await load(i.url, heartbeatRequests(DEVICES, salt), CONNECTIONS, 0, DEVICES)).ok;
    const coldRps = (coldOk / (performance.now() - t0)) * 1000;
    // Idle cost (housekeeping, event poll, offline sweep, flush timer) per instance, to tell it from per-heartbeat work.
    const idle0 = instances.map((i) => procCpuSeconds(i.pid)!);
    await sleep(3000);
    const idleMsPerS = instances.map((i, k) => ((procCpuSeconds(i.pid)! - idle0[k]!) / 3) * 1000);
    if (WARMUP > 0) await load(nginx.url, requests, CONNECTIONS, WARMUP);
    const backends = new BackendCpu(db);
    await backends.start();
    const i0 = instances.map((i) => procCpuSeconds(i.pid)!);
    const n0 = cpuOf(nginxPids());
    const g0 = process.cpuUsage();
    const l = await load(nginx.url, requests, CONNECTIONS, DURATION);
    const g = process.cpuUsage(g0);
    const nginxCpu = cpuOf(nginxPids()) - n0;
    const inst = instances.map((i, k) => procCpuSeconds(i.pid)! - i0[k]!);
    // The write-behind buffers flush every 0.5 s: let the last flush of the window reach PostgreSQL.
    await sleep(700);
    const pg = await backends.stop();
    const per = (s: number) => (s / Math.max(1, l.ok)) * 1e6;
    return {
      instances: n,
      rps: l.rps,
      p99: l.p99,
      ok: l.ok,
      failed: l.other + l.errors,
      instanceUs: inst.map(per),
      nginxUs: per(nginxCpu),
      pgUs: per(pg.seconds),
      loadGenUs: per((g.user + g.system) / 1e6),
      coldRps,
      idleMsPerS,
    };
  } finally {
    await nginx?.stop();
    await Promise.all(instances.map((i) => i.stop()));
  }
}

async function main(): Promise<void> {
  const loads = [loadAverage()];
  console.log(
    `fleet bench: ${fmt(DEVICES)} devices heartbeating through nginx (docs/nginx/outpost-fleet.conf) to ${LEVELS.join(', ')} instance(s) on one PostgreSQL database, autocannon -c ${CONNECTIONS} -p 1, ${DURATION} s (+${WARMUP} s warm-up); ${cpus().length} CPUs, load ${loads[0]}`,
  );
  const tmp = mkdtempSync(join(tmpdir(), 'outpost-bench-fleet-'));
  const db = await createBenchDb('fleet');
  try {
    const salt = newSalt();
    const t0 = performance.now();
    await insertDevicesPg(db.url, DEVICES, salt);
    console.log(
      `${fmt(DEVICES)} registered devices written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const levels: Level[] = [];
    for (const n of LEVELS) {
      const lv = await runLevel(n, db.url, db, tmp, salt);
      levels.push(lv);
      loads.push(loadAverage());
      const total = lv.instanceUs.reduce((t, x) => t + x, 0);
      console.log(
        `${n} instance(s): ${fmt(lv.rps)} heartbeats/s, p99 ${lv.p99} ms, ${lv.failed} failed; CPU per heartbeat: instances ${r1(total)} µs (${lv.instanceUs.map(r1).join(' + ')}), nginx ${r1(lv.nginxUs)} µs, PostgreSQL backends ${r1(lv.pgUs)} µs, load generator ${r1(lv.loadGenUs)} µs; cold pass ${fmt(lv.coldRps)}/s; idle CPU per instance ${lv.idleMsPerS.map(r1).join(', ')} ms/s`,
      );
    }
    // On paper: cores = heartbeats/s × CPU seconds per heartbeat, per tier, at the worst level measured.
    const worst = (f: (l: Level) => number) => Math.max(...levels.map(f));
    const serverUs = worst((l) => l.instanceUs.reduce((t, x) => t + x, 0));
    const sizing = {
      hb_per_s: Math.round(FLEET_HB_PER_S),
      instance_cores: r1((FLEET_HB_PER_S * serverUs) / 1e6),
      pg_cores: r1((FLEET_HB_PER_S * worst((l) => l.pgUs)) / 1e6),
      nginx_cores: r1((FLEET_HB_PER_S * worst((l) => l.nginxUs)) / 1e6),
    };
    console.log(
      `1,000,000 devices at 60 s = ${fmt(FLEET_HB_PER_S)} heartbeats/s would take, at these costs: instances ${sizing.instance_cores} cores, PostgreSQL backends ${sizing.pg_cores} cores, nginx ${sizing.nginx_cores} cores; load ${loads.join(' | ')}`,
    );
    const one = levels.find((l) => l.instances === 1);
    const out = levels.map((l) => ({
      instances: l.instances,
      rps: Math.round(l.rps),
      p99_ms: l.p99,
      instance_us_per_hb: l.instanceUs.map(r1),
      server_us_per_hb: r1(l.instanceUs.reduce((t, x) => t + x, 0)),
      nginx_us_per_hb: r1(l.nginxUs),
      pg_us_per_hb: r1(l.pgUs),
      loadgen_us_per_hb: r1(l.loadGenUs),
      cold_rps: Math.round(l.coldRps),
      idle_ms_per_s: l.idleMsPerS.map(r1),
      failed: l.failed,
      ...(one && l !== one ? { rps_ratio_to_1: Math.round((l.rps / one.rps) * 1000) / 1000 } : {}),
    }));
    console.log(
      JSON.stringify({
        bench: 'fleet',
        store: 'postgres',
        devices: DEVICES,
        duration_s: DURATION,
        levels: out,
        sizing_1m_at_60s: sizing,
        load: loads,
      }),
    );
  } finally {
    await db.drop().catch((e: unknown) => console.error('could not drop', db.name, e));
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
