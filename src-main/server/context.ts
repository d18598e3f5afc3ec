import type { FastifyRequest } from 'fastify';
import type { AccessLevel } from './auth/admin-access.js';
import type { ApiKeyVerifier } from './auth/api-key.js';
import type { AuditTrail } from './audit/audit.js';
import type { ServerConfig } from './config.js';
import type { ServerMetrics } from './metrics.js';
import type { Runtime } from './runtime/runtime.js';
import type { Store } from './store/store.js';

/** Live WebSocket figures for /health, /status and /metrics; the realtime hub provides them. */
export interface RealtimeStats {
  /** Sockets of both transports (`/ws` and socket.io). */
  active(): number;
  activeByTransport(): Readonly<Record<'ws' | 'socketio', number>>;
  total(): number;
  rooms(): number;
  eventsPerMinute(): number;
}

export interface RouteEntry {
  method: string;
  url: string;
  /** `config.access`, when the route says one (the admin gate reads `admin` when it does not). */
  access?: AccessLevel;
}

/** What every route-family plugin receives: built once in app.ts, in a fixed order. */
export interface ServerContext {
  config: ServerConfig;
  store: Store;
  /** Fleet-wide state that is not a table row: fan-out, presence, limiters, auth invalidation, keys. */
  runtime: Runtime;
  apiKeys: ApiKeyVerifier;
  /**
   * onRequest hook of every `/api/admin/*` route (and the other operator routes): authenticates the caller, sets
   * `request.actor`, and checks its role against the route's `config.access` (default `admin`).
   */
  adminGuard: (request: FastifyRequest) => Promise<void>;
  /** Every route as registered, with its access level: what the access matrix is checked against. */
  routes: readonly RouteEntry[];
  audit: AuditTrail;
  metrics: ServerMetrics;
  realtime: RealtimeStats;
  startedAt: Date;
}

export const noRealtime: RealtimeStats = {
  active: () => 0,
  activeByTransport: () => ({ ws: 0, socketio: 0 }),
  total: () => 0,
  rooms: () => 0,
  eventsPerMinute: () => 0,
};
