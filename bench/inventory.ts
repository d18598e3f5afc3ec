/**
 * `npm run bench -- inventory [--devices 100000] [--requests 40] [--store sqlite,postgres] [--keep]`
 *
 * The device inventory at fleet scale, on each store: N devices (70 % registered with heartbeats spread over the
 * last two hours, so both online and offline; 15 % never registered; 15 % revoked; five groups with different
 * silence thresholds; notes, IPs, MACs, hostnames) are written straight into a migrated database, then the real
 * server (in this process) is measured over HTTP:
 *  - GET /api/admin/devices page latency p50/p99 for every sort × order, every state filter, a group filter,
 *    searches (a hostname fragment, an IP fragment, a miss) and a combined filter, `--requests` each, one at a
 *    time, on pages spread over the first 20. Target: p99 < 50 ms.
 *  - `Accept: text/csv` export of all N devices: time and the process's peak RSS growth while it runs (the
 *    response is consumed as it streams, never held). Target: < 5 s, flat memory.
 * Last line: one JSON object `{"bench":"inventory",...}`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startServer } from '../src-main/server/runner.js';
import { createPostgresStore } from '../src-main/server/store/postgres/index.js';
import { createSqliteStore } from '../src-main/server/store/sqlite/index.js';
import { createBenchDb, loadAverage } from './lib-pg.js';

const API_KEY = 'bench-admin-key-0123456789abcdef';
const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    devices: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '40' },
    store: { type: 'string', default: 'sqlite,postgres' },
    // Leaves the seeded database (and SQLite directory) in place and prints where, to look at query plans.
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});
const N = Number(values.devices);
const REQUESTS = Number(values.requests);

/** Groups 2-6 (1 is the default): [name, interval, threshold]. */
const GROUPS: [string, number, number][] = [
  ['lobby', 30, 90],
  ['warehouse', 60, 300],
  ['stores', 120, 600],
  ['labs', 10, 30],
  ['remote', 600, 3600],
];

/** One device's generated row (shared by both stores, so both hold the same fleet). */
function device(i: number, now: number) {
  const key = `dev-${String(i).padStart(6, '0')}`;
  const kind = i % 20 < 14 ? 'registered' : i % 20 < 17 ? 'pending' : 'revoked';
  const created = new Date(now - 30 * 86_400_000 + i * 1000).toISOString();
  const seen = kind === 'pending' ? null : new Date(now - ((i * 7919) % 7200) * 1000).toISOString();
  return {
    key,
    status: kind,
    created,
    registered: kind === 'pending' ? null : created,
    revoked: kind === 'revoked' ? created : null,
    seen,
    group: 1 + (i % 6),
    note: i % 3 === 0 ? `rack ${i % 97} shelf ${i % 13}` : null,
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    mac: `02:00:${[(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}:aa`,
    host: `host-${i}.site${i % 50}.example`,
  };
}

async function seedSqlite(dataDir: string): Promise<void> {
  await createSqliteStore(dataDir).close(); // migrates
  const db = new Database(join(dataDir, 'server.db'));
  const now = Date.now();
  const g = db.prepare(
    `INSERT INTO device_groups (id, name, heartbeat_interval_sec, silence_threshold_sec, created_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const ins = db.prepare(
    `INSERT INTO devices (device_key, note, status, created_at, registered_at, revoked_at, last_seen, updated_at,
       group_id, ip_address, mac, hostname, secret_hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    GROUPS.forEach(([name, iv, th], i) => g.run(i + 2, name, iv, th, new Date(now).toISOString()));
    for (let i = 0; i < N; i++) {
      const d = device(i, now);
      ins.run(
        d.key,
        d.note,
        d.status,
        d.created,
        d.registered,
        d.revoked,
        d.seen,
        d.created,
        d.group,
        d.ip,
        d.mac,
        d.host,
        d.status === 'pending' ? null : 'x'.repeat(64),
      );
    }
  })();
  db.pragma('optimize');
  db.close();
}

async function seedPostgres(url: string): Promise<void> {
  await (await createPostgresStore({ url })).close(); // migrates
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const now = Date.now();
  try {
    for (const [i, [name, iv, th]] of GROUPS.entries()) {
      await c.query(
        `INSERT INTO device_groups (id, name, heartbeat_interval_sec, silence_threshold_sec) VALUES ($1, $2, $3, $4)`,
        [i + 2, name, iv, th],
      );
    }
    await c.query(`SELECT setval(pg_get_serial_sequence('device_groups', 'id'), 10)`);
    for (let from = 0; from < N; from += 5000) {
      const rows = Array.from({ length: Math.min(5000, N - from) }, (_, j) => device(from + j, now));
      const col = <K extends keyof ReturnType<typeof device>>(k: K) => rows.map((r) => r[k]);
      await c.query(
        `INSERT INTO devices (device_key, status, created_at, registered_at, revoked_at, updated_at, group_id, secret_hash)
         SELECT k, s, c, r, v, c, g, CASE WHEN s = 'pending' THEN NULL ELSE repeat('x', 64) END
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::int[])
           AS u(k, s, c, r, v, g)`,
        [col('key'), col('status'), col('created'), col('registered'), col('revoked'), col('group')],
      );
      await c.query(
        `INSERT INTO device_heartbeats (device_key, last_seen, note, ip_address, mac, hostname)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])`,
        [col('key'), col('seen'), col('note'), col('ip'), col('mac'), col('host')],
      );
    }
    await c.query('VACUUM ANALYZE');
  } finally {
    await c.end();
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function measure(url: string) {
  const headers = { 'x-api-key': API_KEY };
  const cases: [string, string][] = [];
  for (const sort of ['last_seen', 'device_key', 'created_at'])
    for (const order of ['desc', 'asc']) cases.push([`sort=${sort} ${order}`, `sort=${sort}&order=${order}`]);
  for (const state of ['online', 'offline', 'never', 'revoked'])
    cases.push([`state=${state}`, `state=${state}`]);
  cases.push(['group=3', 'group=3']);
  cases.push(['search hostname', 'search=site17.exa']);
  cases.push(['search ip', 'search=10.1.2']);
  cases.push(['search miss', 'search=no-such-thing']);
  cases.push(['online+group+search', 'state=online&group=2&search=rack']);
  const out: Record<string, { p50: number; p99: number; total: number }> = {};
  for (const [name, q] of cases) {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < REQUESTS + 3; i++) {
      const page = 1 + (i % 20);
      const t0 = performance.now();
      const r = await fetch(`${url}/api/admin/devices?${q}&limit=50&page=${page}`, { headers });
      const body = (await r.json()) as { data: { pagination: { total: number } } };
      if (i >= 3) times.push(performance.now() - t0); // the first requests warm caches and plans
      total = body.data.pagination.total;
    }
    out[name] = { p50: pct(times, 50), p99: pct(times, 99), total };
    console.log(
      `  ${name.padEnd(22)} p50 ${out[name].p50.toFixed(1)} ms  p99 ${out[name].p99.toFixed(1)} ms  (${total} match)`,
    );
  }
  // CSV of everything, consumed as it streams; RSS sampled meanwhile.
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t0 = performance.now();
  const r = await fetch(`${url}/api/admin/devices`, { headers: { ...headers, accept: 'text/csv' } });
  let bytes = 0;
  let lines = 0;
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) lines++;
  }
  const csvMs = performance.now() - t0;
  clearInterval(sampler);
  const csv = { ms: csvMs, rows: lines - 1, bytes, rssGrowthMb: (peak - rss0) / 2 ** 20 };
  console.log(
    `  CSV export: ${csv.rows} rows, ${(bytes / 2 ** 20).toFixed(1)} MB in ${(csvMs / 1000).toFixed(2)} s; peak RSS growth ${csv.rssGrowthMb.toFixed(1)} MB`,
  );
  return { pages: out, csv };
}

const results: Record<string, unknown> = {};
for (const store of values.store.split(',')) {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-inv-'));
  const db = store === 'postgres' ? await createBenchDb('inventory') : undefined;
  try {
    const t0 = performance.now();
    if (db) await seedPostgres(db.url);
    else await seedSqlite(dataDir);
    console.log(
      `${store}: ${N} devices seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s (load ${loadAverage()})`,
    );
    const srv = await startServer({
      host: '127.0.0.1',
      port: 0,
      dataDir,
      databaseUrl: db?.url,
      env: { OUTPOST_API_KEYS: API_KEY, OUTPOST_RATE_LIMIT_PER_MIN: '1000000' },
      logger: false,
    });
    try {
      results[store] = await measure(srv.url);
    } finally {
      await srv.stop();
    }
    console.log(`  load average after: ${loadAverage()}`);
  } finally {
    if (values.keep) {
      console.log(`  kept: ${db ? db.url : join(dataDir, 'server.db')}`);
      await db?.client.end();
    } else {
      rmSync(dataDir, { recursive: true, force: true });
      await db?.drop();
    }
  }
}
console.log(JSON.stringify({ bench: 'inventory', devices: N, load: loadAverage(), ...results }));
