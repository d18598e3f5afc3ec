import pg from 'pg';
import { defineConfig } from 'vitest/config';

/**
 * Suites the PostgreSQL project leaves out: the store contract tests (store-*.test.ts) run on both stores
 * inside each file; the others are about SQLite itself (its files, query plans, migrations, in-process caches)
 * or start no store at all (the CLI suite starts child processes on SQLite).
 */
const NOT_PER_STORE = [
  'tests/server/store-*.test.ts',
  'tests/server/fleet-offline-sweep.test.ts',
  'tests/server/cli.test.ts',
  'tests/server/devices-auth-cache.test.ts',
  'tests/server/devices-store.test.ts',
  'tests/server/devices-write-behind.test.ts',
  'tests/server/identity-migration.test.ts',
  'tests/server/licenses-short-terms.test.ts',
  'tests/server/licenses-search-plans.test.ts',
];

/**
 * Suites about starting a server on PostgreSQL itself (CLI processes with --database-url): only the PostgreSQL
 * project runs them, so nothing in either project is registered only to be skipped.
 */
const POSTGRES_ONLY = [
  'tests/server/fleet-start-postgres.test.ts',
  'tests/server/fleet-migrate-to-postgres.test.ts',
];

/**
 * The server integration suites run a second time on PostgreSQL (project `server-postgres`). Without a
 * reachable PostgreSQL that project is left out with a warning, except under CI=true, where it stays in and
 * fails: CI must test both stores.
 */
async function postgresReachable(): Promise<boolean> {
  const url = process.env.OUTPOST_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return true;
  } catch (err) {
    if (process.env.CI === 'true') return true;
    console.warn(
      `vitest: PostgreSQL not reachable (${err instanceof Error ? err.message : String(err)}): ` +
        'skipping the server-postgres project',
    );
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

const withPostgres = await postgresReachable();

export default defineConfig({
  test: {
    // Real servers, real SQLite files and real child processes: give them room on 2 noisy cores.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    environment: 'node',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.{ts,tsx}'],
          exclude: ['tests/e2e/**', 'node_modules/**', ...POSTGRES_ONLY],
        },
      },
      ...(withPostgres
        ? [
            {
              // The same server suites, each test server on a fresh PostgreSQL database of its own.
              extends: true as const,
              test: {
                name: 'server-postgres',
                include: ['tests/server/**/*.test.ts'],
                exclude: NOT_PER_STORE,
                env: { OUTPOST_TEST_STORE: 'postgres' },
              },
            },
          ]
        : []),
      {
        // Browser end-to-end tests (real Chromium, real agent, real server). globalSetup builds the renderer
        // first; files run one at a time because each drives a browser, an agent and a server.
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
