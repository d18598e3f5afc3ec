/**
 * `npm run bench -- licenses [--licenses 100000] [--activations 2000] [--concurrency 32] [--searches 600]`
 *
 * Seed 002 at store scale: N licenses (one third activated, descriptions with customer names, order numbers and
 * plan words) are bulk-inserted into the SQLite file of a temp data dir (the real schema, FTS triggers included),
 * then the real server (`src-main/cli/server.ts`) starts in a child process and is measured over HTTP:
 *  - activations/s: POST /api/licenses/activate on fresh keys, `--concurrency` requests in flight;
 *  - GET /api/licenses?search=…&limit=50 latency p50/p99, one request at a time, over varied terms (whole keys,
 *    key fragments, customer names, order numbers, plan words matching 10 %, misses, 2-character terms), plus the
 *    unfiltered page and a status filter. Target: p99 < 20 ms for a page of 50 at 100,000 licenses.
 * Last line: one JSON object `{"bench":"licenses",...}`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { generateLicenseKey } from '../src-main/server/licensing/license-key.js';
import { createPostgresStore } from '../src-main/server/store/postgres/index.js';
import { createSqliteStore } from '../src-main/server/store/sqlite/index.js';
import { createBenchDb, loadAverage, type BenchDb } from './lib-pg.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const API_KEY = 'bench-admin-key-0123456789abcdef';
const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    licenses: { type: 'string', default: '100000' },
    activations: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    searches: { type: 'string', default: '600' },
    // postgres: the same licenses in SQLite and in PostgreSQL, each server measured in one run
    store: { type: 'string', default: 'sqlite' },
  },
  strict: true,
});
const N = Number(values.licenses);
const ACTIVATIONS = Math.min(Number(values.activations), Math.floor(N / 3));
const CONCURRENCY = Number(values.concurrency);
const SEARCHES = Number(values.searches);

const PLANS = [
  'Annual',
  'Monthly',
  'Trial',
  'Enterprise',
  'Studio',
  'Education',
  'Reseller',
  'Partner',
  'Internal',
  'Promo',
];
const NAMES = [
  'Smith',
  'Kowalski',
  'Müller',
  'Garcia',
  'Nguyen',
  'Okafor',
  'Rossi',
  'Tanaka',
  'Dubois',
  'Silva',
];

/** Bulk insert through the store's own SQLite file (migrations from createSqliteStore, FTS triggers active). */
type Row = [string, string, string, string, string, string, string | null, string | null];

function seed(dataDir: string): { fresh: string[]; sampleKeys: string[]; rows: Row[] } {
  const store = createSqliteStore(dataDir);
  void store.close();
  const db = new Database(join(dataDir, 'server.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const ins = db.prepare(
    `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at, updated_at,
       activated_at, expires_at) VALUES (?, ?, 365, 1, ?, ?, ?, ?, ?, ?)`,
  );
  const fresh: string[] = [];
  const sampleKeys: string[] = [];
  const rows: Row[] = [];
  const start = Date.now() - N * 60_000;
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const created = new Date(start + i * 60_000).toISOString();
      const activated = i % 3 === 0;
      const key = generateLicenseKey('PROGRAN3', new Date(created));
      const desc = `${PLANS[i % PLANS.length]} license for ${NAMES[(i * 7) % NAMES.length]} customer ${i} (order #${(i * 7919) % 1_000_000})`;
      const row: Row = [
        randomUUID(),
        key,
        activated ? 'active' : 'generated',
        desc,
        created,
        created,
        activated ? created : null,
        activated ? new Date(Date.parse(created) + 365 * 86_400_000).toISOString() : null,
      ];
      ins.run(...row);
      rows.push(row);
      if (!activated && fresh.length < ACTIVATIONS && i % 3 === 1) fresh.push(key);
      if (i % Math.max(1, Math.floor(N / 200)) === 0) sampleKeys.push(key);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  return { fresh, sampleKeys, rows };
}

/** The same rows into a fresh PostgreSQL database (schema from the store's migrations), 5,000 per statement. */
async function seedPostgres(db: BenchDb, rows: Row[]): Promise<void> {
  const store = await createPostgresStore({ url: db.url });
  await store.close();
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    const col = (j: number) => chunk.map((r) => r[j]);
    await db.client.query(
      `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at,
         updated_at, activated_at, expires_at)
       SELECT id, k, 365, 1, st, d, c::timestamptz, u::timestamptz, a::timestamptz, e::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::text[]) AS t(id, k, st, d, c, u, a, e)`,
      [col(0), col(1), col(2), col(3), col(4), col(5), col(6), col(7)],
    );
  }
  await db.client.query('VACUUM ANALYZE licenses');
}

function startServer(
  dataDir: string,
  extraArgs: string[] = [],
): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src-main/cli/server.ts',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        ...extraArgs,
        '--quiet',
      ],
      {
        cwd: root,
        env: { ...process.env, OUTPOST_API_KEYS: API_KEY, OUTPOST_RATE_LIMIT_PER_MIN: '1000000' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
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
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)));
    setTimeout(() => reject(new Error(`server did not start within 60 s:\n${out}`)), 60_000).unref();
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 8000).unref();
  });
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0;
const r2 = (n: number) => Math.round(n * 100) / 100;
const stats = (lat: number[]) => {
  const s = [...lat].sort((a, b) => a - b);
  return { count: s.length, p50_ms: r2(pct(s, 50)), p99_ms: r2(pct(s, 99)), max_ms: r2(s.at(-1) ?? 0) };
};

async function activations(url: string, keys: string[]) {
  const lat: number[] = [];
  let ok = 0;
  let failed = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (let i = next++; i < keys.length; i = next++) {
      const fp = (i.toString(16).padStart(8, '0') + 'ab'.repeat(28)).slice(0, 64);
      const a = performance.now();
      const res = await fetch(`${url}/api/licenses/activate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          license_key: keys[i],
          user_email: `user${i % 500}@example.com`,
          system_fingerprint: fp,
        }),
      });
      await res.arrayBuffer();
      lat.push(performance.now() - a);
      if (res.status === 200) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return { ok, failed, rps: Math.round(ok / seconds), ...stats(lat) };
}

function searchTerms(sampleKeys: string[]): Array<[string, string]> {
  const terms: Array<[string, string]> = [];
  for (let i = 0; i < 20; i++) {
    const k = sampleKeys[(i * 7) % sampleKeys.length]!;
    terms.push(
      ['whole_key', k],
      ['key_fragment', k.slice(-6)],
      ['key_fragment', k.slice(14, 20).toLowerCase()],
    );
    terms.push(['customer', `customer ${(i * 4099) % N}`], ['order', `#${(i * 7919 * 13) % 1_000_000}`]);
    terms.push(['name_plan', `${PLANS[i % PLANS.length]} license for ${NAMES[i % NAMES.length]}`]);
    terms.push(['miss', `zz${i}-none`]);
  }
  for (const p of PLANS) terms.push(['plan_word_10pct', p]);
  for (const t of ['ab', '7%', 'k_']) terms.push(['two_chars', t]);
  terms.push(['broad_100pct', 'PROGRAN3'], ['broad_100pct', 'license for']);
  return terms;
}

async function timedGet(url: string, path: string): Promise<number> {
  const a = performance.now();
  const res = await fetch(url + path, { headers: { 'x-api-key': API_KEY } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  return performance.now() - a;
}

/** Activations, then searches and list pages, one server; prints the human lines and returns the figures. */
async function measure(url: string, fresh: string[], sampleKeys: string[]) {
  // Warm-up: compile routes and statements.
  for (let i = 0; i < 20; i++) await timedGet(url, `/api/licenses?search=warm${i}&limit=50`);

  const act = await activations(url, fresh);
  console.log(
    `activations: ${act.ok} ok, ${act.failed} failed, ${act.rps} req/s, p50 ${act.p50_ms} ms, p99 ${act.p99_ms} ms`,
  );

  const terms = searchTerms(sampleKeys);
  const all: number[] = [];
  const byClass = new Map<string, number[]>();
  const samples: Array<{ i: number; cls: string; term: string; ms: number }> = [];
  for (let i = 0; i < SEARCHES; i++) {
    const [cls, term] = terms[i % terms.length]!;
    const ms = await timedGet(url, `/api/licenses?search=${encodeURIComponent(term)}&limit=50`);
    all.push(ms);
    byClass.set(cls, [...(byClass.get(cls) ?? []), ms]);
    samples.push({ i, cls, term, ms });
  }
  const search = stats(all);
  const classes = Object.fromEntries([...byClass].map(([k, v]) => [k, stats(v)]));
  // The target concerns realistic searches; the 1-2 character and match-everything terms are reported apart.
  const focused = stats(
    [...byClass].filter(([k]) => !['two_chars', 'broad_100pct'].includes(k)).flatMap(([, v]) => v),
  );
  const plain: number[] = [];
  const status: number[] = [];
  for (let i = 0; i < 100; i++) {
    plain.push(await timedGet(url, `/api/licenses?page=${1 + (i % 20)}&limit=50`));
    status.push(
      await timedGet(url, `/api/licenses?status=${i % 2 ? 'active' : 'expired'}&sort=expires_at&limit=50`),
    );
  }
  for (const [k, v] of Object.entries(classes))
    console.log(`search ${k.padEnd(16)} p50 ${v.p50_ms} ms  p99 ${v.p99_ms} ms  (n=${v.count})`);
  console.log(`search all terms    p50 ${search.p50_ms} ms  p99 ${search.p99_ms} ms`);
  console.log(`search realistic    p50 ${focused.p50_ms} ms  p99 ${focused.p99_ms} ms  (target p99 < 20 ms)`);
  // What sets the realistic p99: its slowest samples (request number: the first pass over the terms is 0-154).
  const slowest = samples
    .filter((x) => !['two_chars', 'broad_100pct'].includes(x.cls))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10);
  console.log(
    `slowest realistic   ${slowest.map((x) => `${r2(x.ms)} ms ${x.cls} "${x.term}" #${x.i}`).join('; ')}`,
  );
  console.log(`list pages 1-20     p50 ${stats(plain).p50_ms} ms  p99 ${stats(plain).p99_ms} ms`);
  console.log(`status filter       p50 ${stats(status).p50_ms} ms  p99 ${stats(status).p99_ms} ms`);
  return { act, search, focused, classes, plain, status };
}

async function main(): Promise<void> {
  console.log(
    `licenses bench: ${N} licenses, ${ACTIVATIONS} activations at concurrency ${CONCURRENCY}, ${SEARCHES} searches, ${cpus().length} CPUs, node ${process.versions.node}`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-lic-'));
  let server: { child: ChildProcess; url: string } | undefined;
  try {
    const t0 = Date.now();
    const { fresh, sampleKeys } = seed(dataDir);
    console.log(`seeded ${N} licenses in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    server = await startServer(dataDir);
    const { url } = server;

    const { act, search, focused, classes, plain, status } = await measure(url, fresh, sampleKeys);
    console.log(
      JSON.stringify({
        bench: 'licenses',
        licenses: N,
        cpus: cpus().length,
        activations: act,
        search_all: search,
        search_realistic: focused,
        search_by_class: classes,
        list_plain: stats(plain),
        list_status_filter: stats(status),
        target_p99_ms: 20,
        meets_target: focused.p99_ms < 20,
      }),
    );
  } finally {
    if (server) await stopServer(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `--store postgres`: the same rows behind a SQLite-backed and a PostgreSQL-backed server, one after the other. */
async function mainPostgres(): Promise<void> {
  const loads = [loadAverage()];
  console.log(
    `licenses bench, SQLite vs PostgreSQL: ${N} licenses, ${ACTIVATIONS} activations, ${SEARCHES} searches, load ${loads[0]}`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-lic-'));
  const pgDir = mkdtempSync(join(tmpdir(), 'outpost-bench-lic-pg-'));
  const db = await createBenchDb('lic');
  let server: { child: ChildProcess; url: string } | undefined;
  try {
    const t0 = Date.now();
    const { fresh, sampleKeys, rows } = seed(dataDir);
    await seedPostgres(db, rows);
    console.log(
      `seeded ${N} licenses into SQLite and PostgreSQL in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    console.log('--- SQLite');
    server = await startServer(dataDir);
    const sq = await measure(server.url, fresh, sampleKeys);
    await stopServer(server.child);
    loads.push(loadAverage());
    console.log('--- PostgreSQL');
    server = await startServer(pgDir, ['--database-url', db.url]);
    const pgm = await measure(server.url, fresh, sampleKeys);
    await stopServer(server.child);
    server = undefined;
    loads.push(loadAverage());
    console.log(
      `realistic search p99: PostgreSQL ${pgm.focused.p99_ms} ms vs SQLite ${sq.focused.p99_ms} ms (target < 20 ms); load ${loads.join(' | ')}`,
    );
    console.log(
      JSON.stringify({
        bench: 'licenses',
        store: 'postgres',
        licenses: N,
        search_realistic: pgm.focused,
        sqlite_search_realistic: sq.focused,
        search_by_class: pgm.classes,
        sqlite_search_by_class: sq.classes,
        activations: { rps: pgm.act.rps, p99_ms: pgm.act.p99_ms },
        sqlite_activations: { rps: sq.act.rps, p99_ms: sq.act.p99_ms },
        list_plain_p99_ms: stats(pgm.plain).p99_ms,
        load: loads,
        target_p99_ms: 20,
        meets_target: pgm.focused.p99_ms < 20,
      }),
    );
  } finally {
    if (server) await stopServer(server.child);
    await db.drop().catch((e: unknown) => console.error('could not drop', db.name, e));
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(pgDir, { recursive: true, force: true });
  }
}

await (values.store === 'postgres' ? mainPostgres() : main());
