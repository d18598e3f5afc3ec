import type { ServerConfig } from '../config.js';
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
 * with the first; in memory, the local one.
 */
export function defaultRuntime(config: ServerConfig, store: Store): Runtime {
  if (store.kind === 'sqlite' && config.dataDir !== ':memory:') return createSqliteRuntime(config);
  return createLocalRuntime(config);
}
