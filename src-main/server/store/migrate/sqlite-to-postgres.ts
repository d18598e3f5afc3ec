import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { HOST_KEY_FILE, SIGNING_KEY_FILE } from '../../runtime/data-dir-keys.js';
import { createPostgresStore } from '../postgres/index.js';
import { createSqliteStore } from '../sqlite/index.js';

/**
 * PostgreSQL tables filled from the embedded server.db, parents before children. `device_heartbeats` is the
 * heartbeat half of SQLite's `devices` row. The search mirror (`licenses_text*`) is SQLite's own index and is
 * not copied: PostgreSQL keeps its own search table (`license_search`), filled by triggers as licenses are copied.
 */
const TABLES: readonly { to: string; from: string }[] = [
  { to: 'users', from: 'users' },
  { to: 'server_settings', from: 'server_settings' },
  { to: 'plugins', from: 'plugins' },
  { to: 'clients', from: 'clients' },
  { to: 'sync_ops', from: 'sync_ops' },
  { to: 'notifications', from: 'notifications' },
  { to: 'notification_reads', from: 'notification_reads' },
  { to: 'station_bindings', from: 'station_bindings' },
  { to: 'devices', from: 'devices' },
  { to: 'device_heartbeats', from: 'devices' },
  { to: 'license_users', from: 'license_users' },
  { to: 'licenses', from: 'licenses' },
  { to: 'activations', from: 'activations' },
  { to: 'systems', from: 'systems' },
  { to: 'api_keys', from: 'api_keys' },
  { to: 'audit_events', from: 'audit_events' },
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
    for (const t of TABLES) report.tables[t.to] = await copyTable(src, client, t.from, t.to);
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
  from: string,
  to: string,
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
  const cols = pgCols.filter((c) => !c.always && srcCols.has(c.name));
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
      `INSERT INTO ${to} (${cols.map((c) => `"${c.name}"`).join(', ')}) VALUES ${tuples.join(', ')}`,
      values,
    );
  }
  // Copied ids were given explicitly: the identity continues after the highest one.
  for (const c of cols.filter((x) => x.byDefault && rows.length > 0)) {
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
