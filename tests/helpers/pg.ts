/**
 * Real PostgreSQL for tests: the server on 127.0.0.1:5432 (trust auth, user postgres; OUTPOST_TEST_PG_ADMIN_URL
 * overrides). Each caller gets its own database, `outpost_test_<random>`, created through the `postgres`
 * database and dropped `WITH (FORCE)` afterwards, so parallel test workers never see each other's rows.
 * Without a reachable server, suites skip with a message saying so; with CI=true they fail instead.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL =
  process.env.OUTPOST_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<string | null> | undefined;

/** null when PostgreSQL answers; otherwise why not (one line). Checked once per worker. */
export function pgUnavailableReason(): Promise<string | null> {
  reachable ??= (async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return null;
    } catch (err) {
      return `PostgreSQL not reachable at ${new URL(PG_ADMIN_URL).host}: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return reachable;
}

/**
 * For `describe.skipIf(await pgMissing())`: true (skip, with a warning) when PostgreSQL is unreachable; throws
 * when CI=true, because CI must run every store.
 */
export async function pgMissing(): Promise<boolean> {
  const why = await pgUnavailableReason();
  if (why === null) return false;
  if (process.env.CI === 'true') throw new Error(`${why} (CI=true: PostgreSQL tests may not be skipped)`);
  process.emitWarning(`skipping PostgreSQL tests: ${why}`);
  return true;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh, empty database of its own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const why = await pgUnavailableReason();
  if (why !== null) throw new Error(why);
  const name = `outpost_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop() {
      dropped ??= admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
      return dropped;
    },
  };
}

/** Runs SQL in a test database on a short-lived connection of its own (not the server's pool). */
export async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Row values as the stores hand them out: int8 as a number, timestamptz as an ISO 8601 UTC string. */
const ROW_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    if (oid === 1184) return (v: string) => (pg.types.getTypeParser(1184)(v) as Date).toISOString();
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid);
  },
} as pg.CustomTypesConfig;

/**
 * Runs one SQL statement against a test server's own database, whichever store it runs on, for states a test
 * cannot reach through the API (a token expired long ago, a row's timestamps). Placeholders are SQLite's `?`
 * (rewritten to `$1…` for PostgreSQL); the SQL must be valid on both. Rows come back for SELECT/RETURNING.
 */
export async function serverSql(
  srv: { dataDir: string; databaseUrl?: string },
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  if (srv.databaseUrl) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const c = new pg.Client({ connectionString: srv.databaseUrl, types: ROW_TYPES });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const { join } = await import('node:path');
  const db = new Database(join(srv.dataDir, 'server.db'));
  db.pragma('busy_timeout = 5000');
  try {
    const st = db.prepare(sql);
    if (st.reader) return st.all(...params) as Record<string, unknown>[];
    st.run(...params);
    return [];
  } finally {
    db.close();
  }
}
