/**
 * `npm run bench -- sync [--ops 100000] [--record 10000] [--batch 500]`
 *
 * The station sync benchmark, one run, three figures:
 * 1. End to end: `--ops` copies queued in a real station.db (WAL, synchronous=FULL), drained by the station's
 *    SyncEngine to the real server running as a child process (`npm run server`), over HTTP on loopback, in
 *    batches of `--batch` (≤ 500), including applying every per-op result locally and the final quota pull.
 *    Target ≥ 33,000 ops/s (100k in ≤ 3 s).
 * 2. Baseline: raw better-sqlite3 inserting the same rows in 500-row transactions (WAL, synchronous=NORMAL like
 *    the server's store), in this process. Target: end-to-end rate ≥ 0.15 × raw rate.
 * 3. recordCopy latency: `--record` single calls on a fresh station.db (each one committed with
 *    synchronous=FULL before it returns). Target p99 < 5 ms.
 * The queue is filled with rows exactly as recordCopy writes them, but in bulk: 100k fsynced single commits would
 * only measure the disk. Human lines first, one JSON object last.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createMemorySecretStore } from '../src-main/agent/secrets/secret-store.js';
import { opUuid } from '../src-main/agent/station/op-uuid.js';
import { openStationDb } from '../src-main/agent/station/station-db.js';
import { StationService } from '../src-main/agent/station/station-service.js';
import { BackendCpu, createBenchDb, loadAverage, procCpuSeconds, type BenchDb } from './lib-pg.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const API_KEY = 'bench-sync-admin-key-0123456789abcdef';
const USER = { username: 'bench-station', password: 'bench-station-password' };

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    ops: { type: 'string', default: '100000' },
    record: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '500' },
    // postgres: the end-to-end drain to a SQLite-backed and to a PostgreSQL-backed server, side by side
    store: { type: 'string', default: 'sqlite' },
  },
  strict: true,
});
const OPS = Math.max(1, Number(values.ops));
const RECORD = Math.max(1, Number(values.record));
const BATCH = Math.min(500, Math.max(1, Number(values.batch)));

const tmp = mkdtempSync(join(tmpdir(), 'outpost-bench-sync-'));
let server: ChildProcess | undefined;

function uidOf(i: number): string {
  return (0x04000000 + (i % 0x0fffffff)).toString(16).toUpperCase().padStart(8, '0');
}

async function startServerChild(extraArgs: string[] = [], dir = 'server'): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'src-main/cli/server.ts'),
      '--port',
      '0',
      '--data-dir',
      join(tmp, dir),
      ...extraArgs,
      '--quiet',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        OUTPOST_API_KEYS: API_KEY,
        OUTPOST_RATE_LIMIT_PER_MIN: '1000000',
        OUTPOST_ADMIN_USER: 'admin',
        OUTPOST_ADMIN_PASSWORD: 'bench-admin-password',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  server = child;
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
}

async function admin(
  url: string,
  method: string,
  path: string,
  body: unknown,
): Promise<{ data: { id: number } }> {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { data: { id: number } };
}

/** Queues `n` copies exactly as recordCopy would (quota taken, op pending with its uuid, copy logged), in bulk. */
function fillQueue(dataDir: string, clientId: number, n: number): void {
  const db = openStationDb(dataDir);
  const now = new Date().toISOString();
  const enqueue = db.prepare(
    "INSERT INTO sync_queue (uuid, type, client_id, payload, status, created_at) VALUES (?, 'copy', ?, ?, 'pending', ?)",
  );
  const copy = db.prepare('INSERT INTO copies (uuid, client_id, uid, created_at) VALUES (?, ?, ?, ?)');
  const insert = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const uuid = opUuid();
      const uid = uidOf(i);
      enqueue.run(uuid, clientId, JSON.stringify({ client_id: clientId, uid, recorded_at: now }), now);
      copy.run(uuid, clientId, uid, now);
    }
    db.prepare('UPDATE quotas SET remaining = remaining - ? WHERE client_id = ?').run(to - from, clientId);
  });
  for (let i = 0; i < n; i += 10_000) insert(i, Math.min(n, i + 10_000));
  db.close();
}

/**
 * Raw better-sqlite3: the same rows (uuids from the same generator as recordCopy), 500 per transaction, WAL +
 * synchronous=NORMAL, into a table shaped like the server's `sync_ops` (rowid table + UNIQUE op_key, the one
 * index the server keeps), with the same conflict clause. Until 2026-11-22 this inserted into a WITHOUT ROWID
 * table keyed by random v4 uuids: every row landed on a random leaf of a 20 MB B-tree, which measured page
 * writes (~34k rows/s here), not what the server's insert costs.
 */
function rawInsertRate(n: number): number {
  const file = join(tmp, 'raw.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE ops (id INTEGER PRIMARY KEY, op_key TEXT NOT NULL UNIQUE, device_id TEXT NOT NULL,
    user_id INTEGER NOT NULL, op_id TEXT NOT NULL, uuid TEXT, type TEXT NOT NULL, status TEXT NOT NULL,
    error TEXT, client_id INTEGER, uid TEXT, payload TEXT, created_at TEXT NOT NULL)`);
  const ins = db.prepare(
    `INSERT INTO ops (op_key, device_id, user_id, op_id, uuid, type, status, error, client_id, uid, payload,
       created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (op_key) DO NOTHING`,
  );
  const now = new Date().toISOString();
  const rows = Array.from({ length: n }, (_, i) => {
    const uuid = opUuid();
    return [
      `u:${uuid}`,
      'station-bench',
      1,
      String(i + 1),
      uuid,
      'copy',
      'synced',
      null,
      1,
      uidOf(i),
      null,
      now,
    ];
  });
  const tx = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) ins.run(...rows[i]!);
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i += 500) tx(i, Math.min(n, i + 500));
  const ms = performance.now() - t0;
  db.close();
  return (n / ms) * 1000;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * `--store postgres`: the same drain (own station, own queue of OPS copies) to a SQLite-backed server, then to a
 * PostgreSQL-backed one (fresh database), in one run; plus the CPU of the PostgreSQL backends per op.
 */
async function drainTo(label: string, extraArgs: string[], db?: BenchDb) {
  const url = await startServerChild(extraArgs, `server-${label}`);
  try {
    const client = await admin(url, 'POST', '/api/admin/clients', { name: 'BenchCo', quota: OPS + 10 });
    await admin(url, 'POST', '/api/admin/users', { ...USER, role: 'station' });
    const dataDir = join(tmp, `station-${label}`);
    const svc = new StationService({
      dataDir,
      secrets: createMemorySecretStore(),
      serverUrl: () => url,
      realtime: false,
      batchSize: BATCH,
      timeoutMs: 60_000,
    });
    await svc.login(USER.username, USER.password);
    await svc.syncNow();
    fillQueue(dataDir, client.data.id, OPS);
    const backends = db && new BackendCpu(db);
    await backends?.start();
    const serverCpu0 = procCpuSeconds(server!.pid!)!;
    const t0 = performance.now();
    const report = await svc.syncNow();
    const ms = performance.now() - t0;
    const serverCpu = procCpuSeconds(server!.pid!)! - serverCpu0;
    const pgCpu = await backends?.stop();
    const q = svc.queue().counts;
    await svc.stop();
    if (q.pending !== 0 || report.synced !== OPS)
      throw new Error(`drain incomplete: ${JSON.stringify({ q, report })}`);
    const rate = (OPS / ms) * 1000;
    console.log(
      `${label}: ${OPS} ops in ${ms.toFixed(0)} ms = ${rate.toFixed(0)} ops/s; server ${((serverCpu / OPS) * 1e6).toFixed(1)} µs/op${pgCpu ? `, PostgreSQL backends ${((pgCpu.seconds / OPS) * 1e6).toFixed(1)} µs/op (${pgCpu.backends})` : ''}`,
    );
    return { ms, rate, serverUs: (serverCpu / OPS) * 1e6, pgUs: pgCpu && (pgCpu.seconds / OPS) * 1e6 };
  } finally {
    const child = server;
    server = undefined;
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
  }
}

async function mainPostgres(): Promise<void> {
  const db = await createBenchDb('sync');
  const loads = [loadAverage()];
  console.log(
    `sync bench, SQLite vs PostgreSQL: ${OPS} queued copies, batches of ${BATCH}, load ${loads[0]}`,
  );
  try {
    const sq = await drainTo('sqlite', []);
    loads.push(loadAverage());
    const pgRun = await drainTo('postgres', ['--database-url', db.url], db);
    loads.push(loadAverage());
    const ratio = pgRun.rate / sq.rate;
    console.log(
      `PostgreSQL ${pgRun.rate.toFixed(0)} vs SQLite ${sq.rate.toFixed(0)} ops/s: ratio ${ratio.toFixed(3)}; target ≥ 20,000 ops/s; load ${loads.join(' | ')}`,
    );
    const r1 = (n: number) => Math.round(n * 10) / 10;
    console.log(
      JSON.stringify({
        bench: 'sync',
        store: 'postgres',
        ops: OPS,
        batch: BATCH,
        e2e_ms: r1(pgRun.ms),
        e2e_ops_per_s: Math.round(pgRun.rate),
        sqlite_e2e_ops_per_s: Math.round(sq.rate),
        ratio: Math.round(ratio * 1000) / 1000,
        server_us_per_op: r1(pgRun.serverUs),
        sqlite_server_us_per_op: r1(sq.serverUs),
        pg_us_per_op: r1(pgRun.pgUs ?? 0),
        load: loads,
        target_ops_per_s: 20_000,
        pass: pgRun.rate >= 20_000,
      }),
    );
  } finally {
    await db.drop().catch((e: unknown) => console.error('could not drop', db.name, e));
  }
}

if (values.store === 'postgres') {
  try {
    await mainPostgres();
  } finally {
    server?.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
} else
  try {
    const url = await startServerChild();
    const client = await admin(url, 'POST', '/api/admin/clients', {
      name: 'BenchCo',
      quota: OPS + RECORD + 10,
    });
    await admin(url, 'POST', '/api/admin/users', { ...USER, role: 'station' });
    const clientId = client.data.id;

    // 1. end to end
    const dataDir = join(tmp, 'station');
    const svc = new StationService({
      dataDir,
      secrets: createMemorySecretStore(),
      serverUrl: () => url,
      realtime: false,
      batchSize: BATCH,
      timeoutMs: 60_000,
    });
    await svc.login(USER.username, USER.password);
    await svc.syncNow(); // quotas in place
    fillQueue(dataDir, clientId, OPS);
    console.log(`queued ${OPS} copies in station.db; draining to ${url} in batches of ${BATCH}`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await svc.syncNow();
    const e2eMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // Station-side CPU (this process) vs wall time: the rest is the server and the wire.
    const stationCpuMs = (cpu.user + cpu.system) / 1000;
    const q = svc.queue().counts;
    if (q.pending !== 0 || report.synced !== OPS)
      throw new Error(`drain incomplete: ${JSON.stringify({ q, report })}`);
    const e2eRate = (OPS / e2eMs) * 1000;
    console.log(
      `end to end: ${OPS} ops in ${e2eMs.toFixed(0)} ms = ${e2eRate.toFixed(0)} ops/s (${report.batches} batches)`,
    );

    // 2. raw baseline
    const rawRate = rawInsertRate(OPS);
    console.log(
      `raw better-sqlite3 (server ops schema, 500-row transactions, WAL, NORMAL): ${rawRate.toFixed(0)} rows/s; ratio ${(e2eRate / rawRate).toFixed(3)}`,
    );

    // 3. recordCopy latency (same station, quotas already pulled)
    const lat: number[] = [];
    for (let i = 0; i < RECORD; i++) {
      const s = performance.now();
      svc.recordCopy(clientId, uidOf(i));
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    const rec = { p50: pct(lat, 0.5), p95: pct(lat, 0.95), p99: pct(lat, 0.99), max: lat.at(-1)! };
    console.log(
      `recordCopy over ${RECORD} calls: p50 ${rec.p50.toFixed(3)} ms, p95 ${rec.p95.toFixed(3)} ms, p99 ${rec.p99.toFixed(3)} ms, max ${rec.max.toFixed(1)} ms`,
    );
    await svc.stop();

    const round = (x: number, d = 3): number => Number(x.toFixed(d));
    console.log(
      JSON.stringify({
        bench: 'sync',
        ops: OPS,
        batch: BATCH,
        e2e_ms: round(e2eMs, 1),
        e2e_ops_per_s: Math.round(e2eRate),
        station_cpu_ms: Math.round(stationCpuMs),
        raw_insert_rows_per_s: Math.round(rawRate),
        ratio: round(e2eRate / rawRate),
        record_calls: RECORD,
        record_p50_ms: round(rec.p50),
        record_p95_ms: round(rec.p95),
        record_p99_ms: round(rec.p99),
        targets: { e2e_ops_per_s: 33_000, ratio: 0.15, record_p99_ms: 5 },
        pass: e2eRate >= 33_000 && e2eRate / rawRate >= 0.15 && rec.p99 < 5,
      }),
    );
  } finally {
    server?.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
