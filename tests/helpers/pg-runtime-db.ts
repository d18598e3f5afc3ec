/**
 * A PostgreSQL database of its own for a runtime test, with the runtime's tables applied (the Store's own
 * migrations run them at merge time; here only the runtime's are needed). The server on 127.0.0.1:5432, trust
 * auth, user postgres (OUTPOST_TEST_PG_ADMIN_URL overrides); dropped WITH (FORCE) afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runtimePgMigrations } from '../../src-main/server/runtime/postgres/migrations.js';

const ADMIN_URL = process.env.OUTPOST_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface RuntimeTestDb {
  url: string;
  /** A pool of its own (what one instance would have). */
  pool(): pg.Pool;
  /** A single connection for the test's own statements. */
  client(): Promise<pg.Client>;
  drop(): Promise<void>;
}

async function asAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function createRuntimeTestDb(): Promise<RuntimeTestDb> {
  const name = `outpost_rt_test_${randomBytes(6).toString('hex')}`;
  await asAdmin(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pools: pg.Pool[] = [];
  const clients: pg.Client[] = [];
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  try {
    for (const m of runtimePgMigrations) await setup.query(m.up);
  } finally {
    await setup.end();
  }
  return {
    url,
    pool() {
      const p = new pg.Pool({ connectionString: url, max: 4 });
      p.on('error', () => undefined); // a terminated idle connection is replaced on the next checkout
      pools.push(p);
      return p;
    },
    async client() {
      const c = new pg.Client({ connectionString: url });
      c.on('error', () => undefined);
      await c.connect();
      clients.push(c);
      return c;
    },
    async drop() {
      for (const c of clients) await c.end().catch(() => undefined);
      for (const p of pools) await p.end().catch(() => undefined);
      await asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
