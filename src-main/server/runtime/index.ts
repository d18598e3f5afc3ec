import type { ServerConfig } from '../config.js';
import type { PostgresStore } from '../store/postgres/index.js';
import type { Store } from '../store/store.js';
import { createLocalRuntime } from './local.js';
import { createSqliteRuntime } from './sqlite/index.js';
import type { Runtime } from './runtime.js';

export { createLocalRuntime } from './local.js';
export { createSqliteRuntime } from './sqlite/index.js';
export type { Runtime } from './runtime.js';

/**
 * The runtime a server gets when the caller names none: on the SQLite store in a data dir, the shared SQLite
 * runtime, so a second process on the same directory (`--workers`, or a second server started by hand) agrees
 * with the first; in memory, the local one. A PostgreSQL store needs the PostgreSQL runtime on its pool
 * (`createPostgresRuntime({ pool, url, keys: operatorKeys(env) })`): a per-process runtime there would give
 * every instance its own keys and budgets, so it is refused rather than defaulted.
 */
export async function defaultRuntime(
  config: ServerConfig,
  store: Store,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Runtime> {
  if (store.kind === 'postgres') {
    const { createPostgresRuntime, operatorKeys } = await import('./postgres/index.js');
    const pool = (store as PostgresStore).db.pool;
    // A store opened without a database URL in the config (tests inject one) still needs the runtime's URL.
    const url = config.databaseUrl ?? env.OUTPOST_DATABASE_URL;
    if (!url) throw new Error('a PostgreSQL store needs a database URL for its runtime');
    return createPostgresRuntime({ pool, url, keys: operatorKeys(env) });
  }
  if (config.dataDir !== ':memory:') return createSqliteRuntime(config);
  return createLocalRuntime(config);
}
