/**
 * PostgreSQL helpers shared by the `--store postgres` benches: a throw-away database per run, the CPU of the
 * backends serving it (from /proc, since PostgreSQL's own views carry no CPU time) and the WAL its transactions
 * wrote. The cluster on this machine is shared with other sessions' tests, so WAL is attributed by database with
 * pg_walinspect rather than read as one cluster-wide LSN difference (both are reported).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.OUTPOST_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const HZ = 100;

export interface BenchDb {
  name: string;
  url: string;
  /** An admin connection to the bench database itself (pg_stat_user_tables is per database). */
  client: pg.Client;
  drop(): Promise<void>;
}

export async function createBenchDb(prefix: string): Promise<BenchDb> {
  const name = `outpost_bench_${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return {
    name,
    url: url.toString(),
    client,
    async drop() {
      await client.end().catch(() => {});
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** utime + stime of a process in seconds, or undefined once it is gone. */
export function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may itself contain spaces or parentheses).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / HZ;
  } catch {
    return undefined;
  }
}

/**
 * CPU of the PostgreSQL backends connected to one database (the server's pool and its LISTEN connection), sampled
 * every `everyMs` so that a backend ending mid-run (pool idle timeout) still counts up to its last sample.
 * The bench's own admin connection is left out.
 */
export class BackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: BenchDb,
    private readonly everyMs = 500,
  ) {}

  private async sample(): Promise<void> {
    const { rows } = await this.db.client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    for (const { pid } of rows) {
      const s = procCpuSeconds(pid);
      if (s === undefined) continue;
      // A backend first seen now started during the window (its whole CPU counts) unless this is the start.
      if (!this.first.has(pid)) this.first.set(pid, this.timer ? 0 : s);
      this.last.set(pid, s);
    }
  }

  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample()).catch(() => {});
    }, this.everyMs);
  }

  /** Seconds of backend CPU since start() and the number of backends seen. */
  async stop(): Promise<{ seconds: number; backends: number }> {
    await this.sampling;
    await this.sample();
    clearInterval(this.timer);
    this.timer = undefined;
    let seconds = 0;
    for (const [pid, s] of this.last) seconds += s - (this.first.get(pid) ?? 0);
    return { seconds, backends: this.last.size };
  }
}

/**
 * Keeps the WAL from now on until `release`: other sessions' checkpoints would otherwise recycle the segments
 * before pg_walinspect reads them (a temporary physical slot, gone with the admin connection at the latest).
 */
export async function reserveWal(db: BenchDb): Promise<{ release(): Promise<void> }> {
  const slot = `${db.name}_wal`;
  await db.client.query('SELECT pg_create_physical_replication_slot($1, true, true)', [slot]);
  return {
    async release() {
      await db.client.query('SELECT pg_drop_replication_slot($1)', [slot]);
    },
  };
}

export async function currentLsn(db: BenchDb): Promise<string> {
  return (await db.client.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
}

/**
 * WAL written between two LSNs: cluster-wide (`pg_wal_lsn_diff`) and attributed to the bench database (records
 * touching its relations, plus every record of the transactions that did, e.g. their commit records), with the
 * share that was full-page images.
 */
export async function walBetween(
  db: BenchDb,
  from: string,
  to: string,
): Promise<{ cluster: number; db: number; fpi: number; records: number }> {
  const c = db.client;
  await c.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
  const cluster = Number(
    (await c.query<{ d: string }>('SELECT pg_wal_lsn_diff($2, $1)::text AS d', [from, to])).rows[0]!.d,
  );
  const { rows: dbRows } = await c.query<{ spc: string; oid: string }>(
    'SELECT dattablespace::text AS spc, oid::text AS oid FROM pg_database WHERE datname = current_database()',
  );
  const rel = `%rel ${dbRows[0]!.spc}/${dbRows[0]!.oid}/%`;
  const { rows } = await c.query<{ bytes: string | null; fpi: string | null; records: string }>(
    `WITH r AS (SELECT xid, record_length, fpi_length, block_ref FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)),
          x AS (SELECT DISTINCT xid::text AS xid FROM r WHERE block_ref LIKE $3 AND xid::text <> '0')
     SELECT sum(record_length)::text AS bytes, sum(fpi_length)::text AS fpi, count(*)::text AS records
       FROM r WHERE block_ref LIKE $3 OR (xid::text <> '0' AND xid::text IN (SELECT xid FROM x))`,
    [from, to, rel],
  );
  const r = rows[0]!;
  return { cluster, db: Number(r.bytes ?? 0), fpi: Number(r.fpi ?? 0), records: Number(r.records) };
}

export interface TableStats {
  upd: number;
  hot: number;
  ins: number;
}

export async function tableStats(db: BenchDb, table: string): Promise<TableStats> {
  // Stats reach the shared view when a backend goes idle (at most once a second) or exits; the bench reads
  // them after the server has stopped, so every backend has reported.
  await db.client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await db.client.query<{ upd: string; hot: string; ins: string }>(
    `SELECT n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot, n_tup_ins::text AS ins
       FROM pg_stat_user_tables WHERE relname = $1`,
    [table],
  );
  const r = rows[0];
  return { upd: Number(r?.upd ?? 0), hot: Number(r?.hot ?? 0), ins: Number(r?.ins ?? 0) };
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
