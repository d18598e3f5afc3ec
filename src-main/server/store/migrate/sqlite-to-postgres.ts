import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { HOST_KEY_FILE, SIGNING_KEY_FILE } from '../../runtime/data-dir-keys.js';
import { createPostgresStore } from '../postgres/index.js';
import { createSqliteStore } from '../sqlite/index.js';

interface TableCopy {
  to: string;
  from: string;
  /**
   * The PostgreSQL migrations seed rows here (the default device group): they are replaced by the copied ones,
   * which hold the same ids and what the operator changed since (name, interval, threshold).
   */
  seeded?: boolean;
  /** Copy an `ALWAYS` identity too (`OVERRIDING SYSTEM VALUE`), so the ids the API showed stay the same. */
  keepIds?: boolean;
}

/**
 * PostgreSQL tables filled from the embedded server.db, parents before children (device groups before the
 * devices that reference them, devices before their batch memberships, webhooks before their deliveries).
 * `device_heartbeats` is the heartbeat half of SQLite's `devices` row (hostname included). Ids are kept and
 * identities moved past them. What server.db holds and is deliberately not copied is in NOT_COPIED; a test
 * fails on any table in neither list.
 */
const TABLES: readonly TableCopy[] = [
  { to: 'users', from: 'users' },
  { to: 'server_settings', from: 'server_settings' },
  { to: 'plugins', from: 'plugins' },
  { to: 'clients', from: 'clients' },
  { to: 'sync_ops', from: 'sync_ops' },
  { to: 'notifications', from: 'notifications' },
  { to: 'notification_reads', from: 'notification_reads' },
  { to: 'station_bindings', from: 'station_bindings' },
  { to: 'device_groups', from: 'device_groups', seeded: true },
  { to: 'devices', from: 'devices' },
  { to: 'device_heartbeats', from: 'devices' },
  { to: 'device_events', from: 'device_events', keepIds: true },
  { to: 'device_heartbeat_hours', from: 'device_heartbeat_hours' },
  { to: 'device_batches', from: 'device_batches' },
  { to: 'device_batch_members', from: 'device_batch_members' },
  { to: 'license_users', from: 'license_users' },
  { to: 'licenses', from: 'licenses' },
  { to: 'activations', from: 'activations' },
  { to: 'systems', from: 'systems' },
  { to: 'api_keys', from: 'api_keys' },
  { to: 'audit_events', from: 'audit_events' },
  { to: 'alerts', from: 'alerts' },
  { to: 'webhooks', from: 'webhooks' },
  { to: 'webhook_deliveries', from: 'webhook_deliveries' },
];

/** The server.db tables the copy reads. */
export const COPIED_SQLITE_TABLES: readonly string[] = [...new Set(TABLES.map((t) => t.from))];

/**
 * server.db tables (and name prefixes) that are not copied, and why. Anything else server.db holds must be in
 * TABLES: tests/server/fleet-migrate-to-postgres.test.ts lists the schema and fails on a table in neither.
 */
export const NOT_COPIED: readonly { name: string; prefix?: boolean; why: string }[] = [
  {
    name: 'schema_migrations',
    why: "each store's own migration record; PostgreSQL's is written by its migrations",
  },
  { name: 'sqlite_', prefix: true, why: "SQLite's internal tables (sqlite_sequence, sqlite_stat*)" },
  {
    name: 'licenses_',
    prefix: true,
    why: "SQLite's license search (FTS5 tables, the text mirror and its log), derived from licenses; PostgreSQL fills its own license_search by trigger as licenses are copied",
  },
];

/** The data dir's key files and the fleet key rows they become. */
const KEY_FILES: readonly { file: string; name: string }[] = [
  { file: 'jwt-secret', name: 'jwt-secret' },
  { file: 'api-keys.sha256', name: 'api-key-digests' },
  { file: SIGNING_KEY_FILE, name: 'license-signing-key' },
  { file: HOST_KEY_FILE, name: 'ssh-host-key' },
];

const BATCH = 500;

export interface MigrationReport {
  tables: Record<string, number>;
  keys: string[];
}

interface PgColumn {
  name: string;
  type: string;
  /** `ALWAYS` identity columns (licenses.rid) are numbered by PostgreSQL, in copy order. */
  always: boolean;
  /** `BY DEFAULT` identity columns (ids) are copied, then their sequence is moved past them. */
  byDefault: boolean;
}

/**
 * Copies an embedded server (its data dir's server.db and key files) into an empty PostgreSQL database, in one
 * transaction: every row keeps its ids and its secret hashes, so devices keep their secrets, users their
 * passwords, stations their op history and quotas, and the fleet keeps the data dir's keys (tokens and license
 * certificates it signed stay valid, agents see the same SSH host key). A database that already holds data is
 * refused, never merged into. The copy reads server.db read-only (after its own migrations ran).
 */
export async function migrateSqliteToPostgres(opts: {
  dataDir: string;
  databaseUrl: string;
}): Promise<MigrationReport> {
  const file = join(opts.dataDir, 'server.db');
  if (!existsSync(file)) throw new Error(`no server.db in ${opts.dataDir}`);
  // A data dir last served by an older build is brought to this build's SQLite schema first (what starting
  // the embedded server would do), so its columns are the ones the PostgreSQL schema expects.
  await createSqliteStore(opts.dataDir).close();
  const src = new Database(file, { readonly: true, fileMustExist: true });
  // Migrations (the store's and the runtime's) bring the target to this build's schema first.
  const store = await createPostgresStore({ url: opts.databaseUrl, poolMax: 2 });
  const client = await store.db.pool.connect();
  try {
    await client.query('BEGIN');
    const occupied = await client.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM devices) + (SELECT count(*) FROM licenses)
         + (SELECT count(*) FROM runtime_keys) AS n`,
    );
    if (Number(occupied.rows[0]!.n) > 0) {
      throw new Error('the PostgreSQL database is not empty: migrate-to-postgres only fills a new database');
    }
    const report: MigrationReport = { tables: {}, keys: [] };
    for (const t of TABLES) {
      if (t.seeded) await client.query(`DELETE FROM ${t.to}`);
      report.tables[t.to] = await copyTable(src, client, t);
    }
    for (const k of KEY_FILES) {
      const path = join(opts.dataDir, k.file);
      if (!existsSync(path)) continue;
      await client.query('INSERT INTO runtime_keys (name, value) VALUES ($1, $2)', [
        k.name,
        readFileSync(path, 'utf8'),
      ]);
      report.keys.push(k.name);
    }
    await client.query('COMMIT');
    return report;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
    src.close();
    await store.close();
  }
}

async function copyTable(
  src: Database.Database,
  client: pg.PoolClient,
  { from, to, keepIds }: TableCopy,
): Promise<number> {
  const info = src.prepare(`PRAGMA table_info(${from})`).all() as { name: string; pk: number }[];
  const srcCols = new Set(info.map((c) => c.name));
  const ddl = (src.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').get(from) as { sql: string }).sql;
  // rowid order: PostgreSQL numbers `rid` in the order SQLite's rowid had them (WITHOUT ROWID: by key).
  const order = /WITHOUT\s+ROWID/i.test(ddl)
    ? info
        .filter((c) => c.pk > 0)
        .sort((x, y) => x.pk - y.pk)
        .map((c) => `"${c.name}"`)
        .join(', ')
    : 'rowid';
  const pgCols = (
    await client.query<{ name: string; type: string; always: boolean; by_default: boolean }>(
      `SELECT column_name AS name, data_type AS type, identity_generation = 'ALWAYS' AS always,
              identity_generation = 'BY DEFAULT' AS by_default
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
         ORDER BY ordinal_position`,
      [to],
    )
  ).rows.map((c): PgColumn => ({
    name: c.name,
    type: c.type,
    always: c.always === true,
    byDefault: c.by_default === true,
  }));
  const cols = pgCols.filter((c) => (keepIds || !c.always) && srcCols.has(c.name));
  const overriding = cols.some((c) => c.always) ? ' OVERRIDING SYSTEM VALUE' : '';
  if (cols.length === 0) return 0;
  const rows = src
    .prepare(`SELECT ${cols.map((c) => `"${c.name}"`).join(', ')} FROM ${from} ORDER BY ${order}`)
    .raw()
    .all() as unknown[][];
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const ph = cols.map((c, j) => {
        values.push(convert(row[j], c.type));
        return `$${values.length}`;
      });
      return `(${ph.join(', ')})`;
    });
    await client.query(
      `INSERT INTO ${to} (${cols.map((c) => `"${c.name}"`).join(', ')})${overriding} VALUES ${tuples.join(', ')}`,
      values,
    );
  }
  // Copied ids were given explicitly: the identity continues after the highest one.
  for (const c of cols.filter((x) => (x.byDefault || x.always) && rows.length > 0)) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), (SELECT max("${c.name}") FROM ${to}))`,
      [to, c.name],
    );
  }
  return rows.length;
}

/** SQLite's storage classes into PostgreSQL's types: 0/1 into booleans, the rest as they are. */
function convert(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'boolean') return Number(v) !== 0;
  if (Buffer.isBuffer(v) && type !== 'bytea') return v.toString('utf8');
  return v;
}
