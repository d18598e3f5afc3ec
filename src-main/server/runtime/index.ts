import type { ServerConfig } from '../config.js';
import type { Store } from '../store/store.js';
import { createLocalRuntime } from './local.js';
import type { Runtime } from './runtime.js';

export { createLocalRuntime } from './local.js';
export type { Runtime } from './runtime.js';

/** The runtime a server gets when the caller names none. */
export function defaultRuntime(config: ServerConfig, _store: Store): Runtime {
  return createLocalRuntime(config);
}
