/**
 * `npm run bench -- heartbeat [--duration 10] [--devices 10000] [--connections 100] [--enrol store|http]`
 *
 * Seed 004 heartbeats at fleet scale: the real server (`src-main/cli/server.ts`, SQLite in a temp data dir) in a
 * child process, N devices enrolled (by default through the Store before the server starts, which takes seconds
 * instead of a minute; `--enrol http` uses the admin and register routes), then autocannon (`-c 100 -p 1`) on
 * `POST /api/devices/:key/online`, each request a different device's key and bearer secret (rotating through all
 * N). In the same run, a bare node:http server in a child process answering a constant JSON under the same load
 * gives the ceiling of this machine; the ratio is the figure to compare across machines.
 * Target: ≥ 17,000 heartbeats/s (1 M devices at 60 s intervals) and ratio ≥ 0.6.
 * `--store postgres --instances 1,3` runs bench/fleet.ts (instances behind nginx) instead.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomSecret, sha256Hex } from '../src-main/server/auth/secret-hash.js';
import { tokenHash } from '../src-main/server/devices/tokens.js';
import { createPostgresStore } from '../src-main/server/store/postgres/index.js';
import { createSqliteStore } from '../src-main/server/store/sqlite/index.js';
import type { Store } from '../src-main/server/store/store.js';
import {
  BackendCpu,
  createBenchDb,
  currentLsn,
  loadAverage,
  procCpuSeconds,
  reserveWal,
  tableStats,
  walBetween,
} from './lib-pg.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const API_KEY = 'bench-admin-key-0123456789abcdef';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    duration: { type: 'string', default: '10' },
    devices: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '2' },
    // store: write the devices through the Store before the server starts (seconds); http: admin API + register
    enrol: { type: 'string', default: 'store' },
    // sqlite: the server against bare node:http; postgres: the SQLite- and the PostgreSQL-backed server side by side
    store: { type: 'string', default: 'sqlite' },
    rounds: { type: 'string', default: '1' },
    // e.g. 1,3: N PostgreSQL-backed instances behind nginx instead (bench/fleet.ts, which reads the same arguments)
    instances: { type: 'string' },
  },
  strict: true,
});
const duration = Number(values.duration);
const deviceCount = Number(values.devices);
const connections = Number(values.connections);
const warmup = Number(values.warmup);

/** Spawns a child and resolves with its URL once it prints `listening on http://…`. */
function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  name: string,
): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/[^\s)]+)/.exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}) before listening:\n${out}`)));
    setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${out}`)), 60_000).unref();
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 8000).unref();
  });
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Creates and registers `n` devices through the admin and device APIs, `parallel` at a time. */
async function enrol(url: string, n: number, parallel = 64): Promise<{ key: string; secret: string }[]> {
  const out: { key: string; secret: string }[] = new Array(n);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const key = `bench-${String(i).padStart(6, '0')}`;
      const created = await json(`${url}/api/admin/devices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({ device_key: key, note: 'bench' }),
      });
      const reg = await json(`${url}/api/devices/${key}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token_code: created.token_code, mac: '00:1A:2B:3C:4D:5E' }),
      });
      out[i] = { key, secret: reg.device_secret as string };
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/** The bench's devices: keys and bearer secrets, the same for every store measured in one run. */
function benchDevices(n: number): { key: string; secret: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `bench-${String(i).padStart(6, '0')}`,
    secret: randomSecret(32),
  }));
}

/**
 * The fast path: the same repository calls the routes make (create with a token hash, then the conditional
 * register), straight on the store before the server process opens it; `parallel` at a time.
 */
async function enrolIntoStore(
  store: Store,
  devices: { key: string; secret: string }[],
  parallel = 1,
): Promise<void> {
  const now = new Date().toISOString();
  const expires = new Date(Date.now() + 3600_000).toISOString();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < devices.length; i = next++) {
      const { key, secret } = devices[i]!;
      const token = tokenHash(key, 'ABC123');
      await store.devices.create({
        device_key: key,
        note: 'bench',
        token_hash: token,
        token_expires_at: expires,
      });
      const ok = await store.devices.register(key, {
        token_hash: token,
        secret_hash: sha256Hex(secret),
        now,
        info: { mac: '00:1A:2B:3C:4D:5E' },
      });
      if (!ok) throw new Error(`could not register ${key}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

async function enrolThroughStore(dataDir: string, n: number): Promise<{ key: string; secret: string }[]> {
  const store = createSqliteStore(dataDir);
  try {
    const devices = benchDevices(n);
    await enrolIntoStore(store, devices);
    return devices;
  } finally {
    await store.close();
  }
}

/**
 * One request template whose setupRequest hands out the next device's key, secret and info, so consecutive requests
 * (across all connections) rotate through every device. (A static list of 10,000 requests would be rebuilt by
 * each of the 100 connections at start-up: a million request builds before the first byte.)
 */
function heartbeatRequests(devices: { key: string; secret: string }[]): autocannon.Request[] {
  const prepared = devices.map((d, i) => ({
    path: `/api/devices/${d.key}/online`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${d.secret}` },
    body: JSON.stringify({
      ip_lan: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      ip_public: '203.0.113.42',
      mac: '00:1A:2B:3C:4D:5E',
      note: 'Updates Manager Tool',
    }),
  }));
  let next = 0;
  return [
    {
      method: 'POST',
      setupRequest: (req) => {
        const p = prepared[next++ % prepared.length]!;
        return { ...req, method: 'POST', path: p.path, headers: p.headers, body: p.body };
      },
    },
  ];
}

interface Load {
  rps: number;
  p99: number;
  ok: number;
  other: number;
  errors: number;
}

/** `seconds` of load, or with `amount`, exactly that many requests (one per device: a cold pass). */
async function load(
  url: string,
  requests: autocannon.Request[],
  seconds: number,
  amount?: number,
): Promise<Load> {
  const r = await autocannon({
    url,
    connections,
    pipelining: 1,
    requests,
    ...(amount ? { amount } : { duration: seconds }),
  });
  const total = r['2xx'] + r.non2xx;
  return {
    // autocannon's per-second average, counting successful responses only.
    rps: total > 0 ? (r.requests.average * r['2xx']) / total : 0,
    p99: r.latency.p99,
    ok: r['2xx'],
    other: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

async function serverCpuSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^process_cpu_seconds_total (\S+)/m.exec(text)?.[1] ?? NaN);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  console.log(
    `heartbeat bench: ${deviceCount} devices, autocannon -c ${connections} -p 1, ${duration} s (+${warmup} s warm-up), ${cpus().length} CPUs, node ${process.versions.node}`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-hb-'));
  const env = {
    ...process.env,
    OUTPOST_API_KEYS: API_KEY,
    OUTPOST_ADMIN_USER: 'admin',
    OUTPOST_ADMIN_PASSWORD: 'bench-admin-password',
    OUTPOST_RATE_LIMIT_PER_MIN: '1000000', // enrolment of 10k devices comes from one IP
    NODE_ENV: 'production',
  };
  let server: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  try {
    const t0 = performance.now();
    let devices = values.enrol === 'store' ? await enrolThroughStore(dataDir, deviceCount) : [];
    const s = await startChild(
      [
        // e.g. OUTPOST_BENCH_NODE_ARGS=--cpu-prof to profile the server under load
        ...(process.env.OUTPOST_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
        '--import',
        'tsx',
        'src-main/cli/server.ts',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--quiet',
      ],
      env,
      'outpost server',
    );
    server = s.child;
    if (values.enrol !== 'store') devices = await enrol(s.url, deviceCount);
    console.log(
      `enrolled ${fmt(deviceCount)} devices (${values.enrol === 'store' ? 'through the store' : 'over HTTP'}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const requests = heartbeatRequests(devices);

    if (warmup > 0) await load(s.url, requests, warmup);
    const cpu0 = await serverCpuSeconds(s.url);
    const hb = await load(s.url, requests, duration);
    const cpu = (await serverCpuSeconds(s.url)) - cpu0;
    console.log(
      `outpost heartbeats: ${fmt(hb.rps)} req/s, p99 ${hb.p99} ms, ${fmt(hb.ok)} ok, ${hb.other} non-2xx, ${hb.errors} errors`,
    );
    console.log(
      `server process CPU ${cpu.toFixed(1)} s over ${duration} s (${((cpu / Math.max(1, hb.ok)) * 1e6).toFixed(0)} µs per heartbeat)`,
    );
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const counted = Number(/^outpost_device_heartbeats_total (\d+)/m.exec(metrics)?.[1] ?? NaN);
    console.log(`server counted ${fmt(counted)} accepted heartbeats (incl. warm-up)`);
    await stopChild(server);
    server = undefined;

    const b = await startChild(
      [...(process.env.OUTPOST_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), '-e', BARE_SERVER],
      env,
      'bare node:http',
    );
    bare = b.child;
    if (warmup > 0) await load(b.url, requests, warmup);
    const bareCpu0 = Number(await (await fetch(`${b.url}/__cpu`)).text());
    const base = await load(b.url, requests, duration);
    const bareCpu = Number(await (await fetch(`${b.url}/__cpu`)).text()) - bareCpu0;
    console.log(`bare node:http: ${fmt(base.rps)} req/s, p99 ${base.p99} ms, ${base.other} non-2xx`);
    // On a busy machine throughput mostly measures the CPU share a process got; CPU per request does not.
    const perHb = (cpu / Math.max(1, hb.ok)) * 1e6;
    const perBare = (bareCpu / Math.max(1, base.ok)) * 1e6;
    console.log(
      `CPU per request: outpost ${perHb.toFixed(1)} µs, bare ${perBare.toFixed(1)} µs (CPU-cost ratio ${(perBare / perHb).toFixed(3)})`,
    );

    const ratio = base.rps > 0 ? hb.rps / base.rps : 0;
    console.log(`ratio ${ratio.toFixed(3)} (target ≥ 0.6), heartbeats/s target ≥ 17,000`);
    if (hb.other > 0 || hb.errors > 0) console.log('WARNING: some heartbeats failed; rps counts 2xx only');
    console.log(
      JSON.stringify({
        bench: 'heartbeat',
        rps: Math.round(hb.rps),
        p99_ms: hb.p99,
        baseline_rps: Math.round(base.rps),
        ratio: Math.round(ratio * 1000) / 1000,
        devices: deviceCount,
        duration_s: duration,
      }),
    );
  } finally {
    if (server) await stopChild(server);
    if (bare) await stopChild(bare);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface StoreRun {
  load: Load;
  /** The first pass over every device (auth cache cold): rate and p99. */
  cold: { rps: number; p99: number };
  /** Seconds of server-process CPU during the measured window (/proc/<pid>/stat). */
  serverCpu: number;
  /** Heartbeats the server accepted over its life (warm-up included), from its own counter. */
  accepted: number;
  pgCpu?: { seconds: number; backends: number };
  wal?: { cluster: number; db: number; fpi: number; records: number };
  hot?: { upd: number; hot: number };
}

/**
 * One server on one store: start, warm up, measure `duration` s, stop (which flushes the write-behind buffer).
 * On PostgreSQL also the CPU of the backends serving it, the WAL from before the warm-up to after the final
 * flush, and the heartbeat table's update counters over the same span.
 */
async function runStore(
  args: string[],
  env: NodeJS.ProcessEnv,
  requests: autocannon.Request[],
  db?: Awaited<ReturnType<typeof createBenchDb>>,
): Promise<StoreRun> {
  const slot = db && (await reserveWal(db));
  const lsn0 = db && (await currentLsn(db));
  const stats0 = db && (await tableStats(db, 'device_heartbeats'));
  const s = await startChild(
    [
      ...(process.env.OUTPOST_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      'src-main/cli/server.ts',
      '--port',
      '0',
      ...args,
      '--quiet',
    ],
    env,
    'outpost server',
  );
  try {
    // Every device once first: its credentials enter the auth cache (kept 10 min, so a fleet at 60 s intervals
    // runs warm after its first minute). The measured window is that steady state; this pass is the cold cost.
    const t0 = performance.now();
    const cold = await load(s.url, requests, 0, deviceCount);
    const coldRps = (cold.ok / (performance.now() - t0)) * 1000;
    if (warmup > 0) await load(s.url, requests, warmup);
    const pid = s.child.pid!;
    const backends = db && new BackendCpu(db);
    await backends?.start();
    const cpu0 = procCpuSeconds(pid)!;
    const hb = await load(s.url, requests, duration);
    const serverCpu = procCpuSeconds(pid)! - cpu0;
    const pgCpu = await backends?.stop();
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const accepted = Number(/^outpost_device_heartbeats_total (\d+)/m.exec(metrics)?.[1] ?? NaN);
    await stopChild(s.child);
    if (!db) return { load: hb, serverCpu, accepted, cold: { rps: coldRps, p99: cold.p99 } };
    const wal = await walBetween(db, lsn0!, await currentLsn(db));
    await slot!.release();
    // The backends report their table counters when they exit; give them a moment after the pool closed.
    await new Promise((r) => setTimeout(r, 1000));
    const stats1 = await tableStats(db, 'device_heartbeats');
    return {
      load: hb,
      serverCpu,
      accepted,
      cold: { rps: coldRps, p99: cold.p99 },
      pgCpu,
      wal,
      hot: { upd: stats1.upd - stats0!.upd, hot: stats1.hot - stats0!.hot },
    };
  } finally {
    await stopChild(s.child);
  }
}

/**
 * `--store postgres`: the same devices (keys and secrets) enrolled into a SQLite data dir and a fresh PostgreSQL
 * database, then the SQLite-backed and the PostgreSQL-backed server under the same load, one after the other,
 * `--rounds` times. The ratio is PostgreSQL's rate over SQLite's in the same round(s).
 */
async function mainPostgres(): Promise<void> {
  const rounds = Math.max(1, Number(values.rounds));
  console.log(
    `heartbeat bench, SQLite vs PostgreSQL: ${deviceCount} devices, autocannon -c ${connections} -p 1, ${duration} s (+${warmup} s warm-up), ${rounds} round(s), ${cpus().length} CPUs, node ${process.versions.node}, load ${loadAverage()}`,
  );
  const sqliteDir = mkdtempSync(join(tmpdir(), 'outpost-bench-hb-'));
  const pgDir = mkdtempSync(join(tmpdir(), 'outpost-bench-hb-pg-'));
  const db = await createBenchDb('hb');
  const env = {
    ...process.env,
    OUTPOST_API_KEYS: API_KEY,
    OUTPOST_ADMIN_USER: 'admin',
    OUTPOST_ADMIN_PASSWORD: 'bench-admin-password',
    OUTPOST_RATE_LIMIT_PER_MIN: '1000000',
    NODE_ENV: 'production',
  };
  try {
    const t0 = performance.now();
    const devices = await enrolThroughStore(sqliteDir, deviceCount);
    const pgStore = await createPostgresStore({ url: db.url });
    try {
      await enrolIntoStore(pgStore, devices, 16);
    } finally {
      await pgStore.close();
    }
    await db.client.query('VACUUM ANALYZE');
    console.log(
      `enrolled ${fmt(deviceCount)} devices into SQLite and PostgreSQL (${db.name}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const requests = heartbeatRequests(devices);
    const loads: string[] = [];
    const sq: StoreRun[] = [];
    const pgRuns: StoreRun[] = [];
    for (let r = 0; r < rounds; r++) {
      loads.push(loadAverage());
      sq.push(await runStore(['--data-dir', sqliteDir], env, requests));
      const a = sq.at(-1)!;
      console.log(
        `round ${r + 1} SQLite:     ${fmt(a.load.rps)} heartbeats/s, p99 ${a.load.p99} ms, ${a.load.other} non-2xx, ${a.load.errors} errors; server ${((a.serverCpu / a.load.ok) * 1e6).toFixed(1)} µs/hb; cold pass ${fmt(a.cold.rps)}/s, p99 ${a.cold.p99} ms`,
      );
      pgRuns.push(await runStore(['--data-dir', pgDir, '--database-url', db.url], env, requests, db));
      const b = pgRuns.at(-1)!;
      console.log(
        `round ${r + 1} PostgreSQL: ${fmt(b.load.rps)} heartbeats/s, p99 ${b.load.p99} ms, ${b.load.other} non-2xx, ${b.load.errors} errors; server ${((b.serverCpu / b.load.ok) * 1e6).toFixed(1)} µs/hb, ${b.pgCpu!.backends} backends ${((b.pgCpu!.seconds / b.load.ok) * 1e6).toFixed(1)} µs/hb; cold pass ${fmt(b.cold.rps)}/s, p99 ${b.cold.p99} ms`,
      );
      console.log(
        `round ${r + 1} PostgreSQL: ${fmt(b.accepted)} heartbeats accepted (warm-up incl.), ${fmt(b.hot!.upd)} heartbeat-row updates, ${fmt(b.hot!.hot)} HOT; WAL for the bench database ${fmt(b.wal!.db)} B in ${fmt(b.wal!.records)} records (${fmt(b.wal!.fpi)} B full-page images), cluster-wide ${fmt(b.wal!.cluster)} B`,
      );
    }
    loads.push(loadAverage());
    const sum = (xs: StoreRun[], f: (x: StoreRun) => number) => xs.reduce((t, x) => t + f(x), 0);
    const ok = sum(pgRuns, (x) => x.load.ok);
    const rps = sum(pgRuns, (x) => x.load.rps) / rounds;
    const sqliteRps = sum(sq, (x) => x.load.rps) / rounds;
    const ratio = sqliteRps > 0 ? rps / sqliteRps : 0;
    const p99 = Math.max(...pgRuns.map((x) => x.load.p99));
    const upd = sum(pgRuns, (x) => x.hot!.upd);
    const hotPct = upd > 0 ? (100 * sum(pgRuns, (x) => x.hot!.hot)) / upd : 0;
    const accepted = sum(pgRuns, (x) => x.accepted);
    const walPerHb = sum(pgRuns, (x) => x.wal!.db) / Math.max(1, accepted);
    const walPerRow = sum(pgRuns, (x) => x.wal!.db) / Math.max(1, upd);
    const serverUs = (sum(pgRuns, (x) => x.serverCpu) / Math.max(1, ok)) * 1e6;
    const sqliteServerUs =
      (sum(sq, (x) => x.serverCpu) /
        Math.max(
          1,
          sum(sq, (x) => x.load.ok),
        )) *
      1e6;
    const pgUs = (sum(pgRuns, (x) => x.pgCpu!.seconds) / Math.max(1, ok)) * 1e6;
    const failed = [...sq, ...pgRuns].some((x) => x.load.other > 0 || x.load.errors > 0);
    console.log(`load average per round start, then end: ${loads.join(' | ')}`);
    console.log(
      `PostgreSQL ${fmt(rps)} vs SQLite ${fmt(sqliteRps)} heartbeats/s: ratio ${ratio.toFixed(3)} (target ≥ 0.8); p99 ${p99} ms (target < 50)`,
    );
    console.log(
      `HOT ${hotPct.toFixed(1)} % of heartbeat-row updates (target ≥ 95); WAL ${walPerHb.toFixed(0)} B per accepted heartbeat, ${walPerRow.toFixed(0)} B per row written (target ≤ 300)`,
    );
    console.log(
      `CPU per heartbeat: server ${serverUs.toFixed(1)} µs on PostgreSQL vs ${sqliteServerUs.toFixed(1)} µs on SQLite; PostgreSQL backends ${pgUs.toFixed(1)} µs`,
    );
    if (failed) console.log('WARNING: some heartbeats failed; rps counts 2xx only');
    const r1 = (n: number) => Math.round(n * 10) / 10;
    console.log(
      JSON.stringify({
        bench: 'heartbeat',
        store: 'postgres',
        rps: Math.round(rps),
        sqlite_rps: Math.round(sqliteRps),
        ratio: Math.round(ratio * 1000) / 1000,
        p99_ms: p99,
        hot_pct: r1(hotPct),
        wal_bytes_per_hb: Math.round(walPerHb),
        server_us_per_hb: r1(serverUs),
        pg_us_per_hb: r1(pgUs),
        sqlite_server_us_per_hb: r1(sqliteServerUs),
        wal_bytes_per_row: Math.round(walPerRow),
        // Full-page images follow checkpoints, which other sessions' WAL on this shared cluster also triggers.
        wal_bytes_per_hb_without_fpi: Math.round(
          sum(pgRuns, (x) => x.wal!.db - x.wal!.fpi) / Math.max(1, accepted),
        ),
        cold_pass_rps: Math.round(sum(pgRuns, (x) => x.cold.rps) / rounds),
        sqlite_cold_pass_rps: Math.round(sum(sq, (x) => x.cold.rps) / rounds),
        devices: deviceCount,
        duration_s: duration,
        rounds,
        load: loads,
      }),
    );
  } finally {
    await db.drop().catch((e: unknown) => console.error('could not drop', db.name, e));
    rmSync(sqliteDir, { recursive: true, force: true });
    rmSync(pgDir, { recursive: true, force: true });
  }
}

/** The baseline: reads the request body (as the real server must) and answers a constant JSON. */
const BARE_SERVER = `
const http = require('node:http');
const body = JSON.stringify({ ok: true, message: 'Heartbeat received', server_time: new Date().toISOString(), next_heartbeat_sec: 60 });
const server = http.createServer((req, res) => {
  if (req.url === '/__cpu') {
    const u = process.cpuUsage();
    return res.end(String((u.user + u.system) / 1e6));
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

if (values.instances !== undefined) await import('./fleet.js');
else await (values.store === 'postgres' ? mainPostgres() : main());
