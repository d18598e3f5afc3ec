import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import { AppError } from '../../errors.js';

/** What a repository runs statements on: the pool, or one client inside a transaction. */
export interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[], name?: string): Promise<R[]>;
}

export interface PgDb extends Queryable {
  readonly pool: pg.Pool;
  /**
   * Runs `fn` in one READ COMMITTED transaction on one connection. A deadlock or serialization failure (another
   * instance touched the same rows in another order) rolls back and runs `fn` again, up to a few times, so `fn`
   * must only write through the client it is given.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
}

/**
 * Result parsing for every client of the pool: int8 (ids, COUNT) as a JS number (ids stay far below 2^53), and
 * timestamptz as the ISO 8601 UTC string (`toISOString()`) the repositories and routes use everywhere, so
 * PostgreSQL rows read exactly like SQLite's text timestamps.
 */
const defaultParse = pg.types.getTypeParser(1184);
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    if (oid === 1184) return (v: string) => (defaultParse(v) as Date).toISOString();
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid);
  },
} as pg.CustomTypesConfig;

export interface PgOptions {
  url: string;
  /** Connections per instance (OUTPOST_PG_POOL_MAX, default 10). */
  max?: number;
}

/** Error codes worth running a transaction again for: another transaction won a lock race. */
const RETRYABLE = new Set(['40001', '40P01']);
/** PostgreSQL text cannot hold NUL (22021 "invalid byte sequence"); SQLite stores it. */
const NUL_IN_TEXT = '22021';

const codeOf = (err: unknown): string | undefined => {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
};

export const isUniqueViolation = (err: unknown) => codeOf(err) === '23505';

/**
 * Errors a client can cause or cannot fix become AppErrors (never SQL text on the wire): NUL in a text value is
 * bad input; a database that is down or restarting is a 503. Anything else stays a 500 as on SQLite.
 */
function mapError(err: unknown): unknown {
  const code = codeOf(err);
  if (code === NUL_IN_TEXT) {
    return new AppError('VALIDATION_ERROR', 'Text values must not contain NUL characters');
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === '57P01' ||
    code === '57P03' ||
    code?.startsWith('08') ||
    (err instanceof Error &&
      /Connection terminated|timeout exceeded when trying to connect/.test(err.message))
  ) {
    return new AppError('SERVICE_UNAVAILABLE', 'Database unavailable');
  }
  return err;
}

async function run<R extends QueryResultRow>(
  on: pg.Pool | PoolClient,
  text: string,
  values: unknown[] | undefined,
  name: string | undefined,
): Promise<R[]> {
  try {
    const res = await on.query<R>(name ? { name, text, values } : { text, values });
    return res.rows;
  } catch (err) {
    throw mapError(err);
  }
}

export function openPool(opts: PgOptions): PgDb {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    application_name: 'outpost',
    types: TYPES,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that the server drops (restart, failover) is reported here; without a listener the
  // process would crash. The pool replaces it on the next checkout, and the failing query answers 503.
  pool.on('error', () => {});
  return {
    pool,
    query: (text, values, name) => run(pool, text, values, name),
    async tx(fn) {
      for (let attempt = 1; ; attempt++) {
        let client: PoolClient;
        try {
          client = await pool.connect();
        } catch (err) {
          throw mapError(err);
        }
        let broken = false;
        try {
          await client.query('BEGIN');
          const out = await fn({ query: (text, values, name) => run(client, text, values, name) });
          await client.query('COMMIT');
          return out;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          if (attempt < 5 && RETRYABLE.has(codeOf(err) ?? '')) continue;
          throw mapError(err);
        } finally {
          client.release(broken);
        }
      }
    },
  };
}

/** A versioned migration: SQL text, or a function of one client inside the migration's transaction. */
export interface PgMigration {
  version: number;
  name: string;
  up: string | ((q: Queryable) => Promise<void>);
}
