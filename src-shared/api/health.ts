import { z } from 'zod';

/**
 * Which server instance answered (a fleet has several behind one address) and what holds its runtime state:
 * `local` (one process), `sqlite` (processes sharing a data dir) or `postgres` (a fleet on one database).
 */
export const InstanceInfo = z.object({ id: z.string(), runtime: z.enum(['local', 'sqlite', 'postgres']) });
export type InstanceInfo = z.infer<typeof InstanceInfo>;

/** Seed 003 `GET /health` (also served at seed 000's `/api/health`). */
export const HealthResponse = z.object({
  status: z.enum(['healthy', 'degraded']),
  timestamp: z.string(),
  uptime: z.number(),
  memory: z.object({ used: z.number(), total: z.number(), percentage: z.number() }),
  /** This instance's sockets (each instance counts its own). */
  connections: z.object({ active: z.number(), total: z.number() }),
  database: z.object({
    status: z.enum(['connected', 'error']),
    kind: z.string(),
    reachable: z.boolean(),
    response_time: z.number(),
  }),
  instance: InstanceInfo,
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** Seed 003 `GET /status` (also seed 000's `/api/status`). */
export const StatusResponse = z.object({
  status: z.enum(['operational', 'degraded']),
  timestamp: z.string(),
  server: z.object({
    uptime: z.number(),
    environment: z.string(),
    node_version: z.string(),
    version: z.string(),
    memory_usage: z.object({
      rss: z.number(),
      heapTotal: z.number(),
      heapUsed: z.number(),
      external: z.number(),
    }),
  }),
  database: z.object({
    status: z.enum(['connected', 'error']),
    connections: z.number(),
    response_time: z.number(),
    kind: z.string(),
    reachable: z.boolean(),
  }),
  instance: InstanceInfo,
  /** This instance's sockets and rooms (each instance counts its own): `/ws` and socket.io together. */
  websocket: z.object({
    active_connections: z.number(),
    /** The active sockets split by transport: `ws` (`/ws`) and `socketio` (`/socket.io/`). */
    by_transport: z.object({ ws: z.number(), socketio: z.number() }),
    total_connections: z.number(),
    rooms: z.number(),
    events_per_minute: z.number(),
  }),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

/** Seed 003 `GET /` service description. */
export const RootResponse = z.object({
  service: z.string(),
  message: z.string(),
  version: z.string(),
  environment: z.string(),
  timestamp: z.string(),
  endpoints: z.record(z.string(), z.string()),
  websocket: z.object({ url: z.string(), path: z.string(), transports: z.array(z.string()) }),
  /** Seed 003's realtime endpoint for socket.io clients: `io(url, {transports})`. */
  socketio: z.object({ url: z.string(), path: z.string(), transports: z.array(z.string()) }),
});
export type RootResponse = z.infer<typeof RootResponse>;
