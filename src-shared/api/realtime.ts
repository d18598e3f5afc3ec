import { z } from 'zod';

/**
 * The `/ws` protocol, both seeds on one socket.
 *
 * Connect: `/ws?token=<JWT>&device_id=<id>` (seed 001; a bad token is refused at the upgrade with HTTP 401, a
 * device_id other than the token's with 403) or `/ws` (seed 003: then send `authenticate` within the auth
 * timeout, default 10 s, or the socket is closed with 4001).
 *
 * The same events reach socket.io clients at `/socket.io/` (seed 003's own clients) as socket.io events of the
 * same name, with `data` as the argument; a handshake `auth: {token}` there plays the URL token's part.
 *
 * Every `/ws` server message is `{type, event, data}` with `type === event`. Clients may name their message with
 * `type` or `event`, and put arguments in `data` (or, for seed 001 style, at the top level).
 */
export const SERVER_EVENTS = [
  'connected',
  'disconnected',
  'authenticated',
  'authentication_error',
  'pong',
  'quota_updated',
  'sync_completed',
  'copy_completed',
  'notification',
  'notification_updated',
  'device_online',
  'device_offline',
  /** A person's first socket without a device opened anywhere in the fleet / its last one closed (seed 003). */
  'user_online',
  'user_offline',
  /** A license was changed or deleted by an administrator: `{license_id, status}` (the holder re-validates). */
  'license_updated',
  /** An alert was raised or resolved (admin and operator sockets): the alert as `GET /api/admin/alerts` lists it. */
  'alert',
  'error',
  /** Admin-only debug stream (seed 003): the ack of `debug_mode`, then the figures every 10 s while enabled. */
  'debug_mode',
  'connection_stats',
  'memory_usage',
  'event_metrics',
] as const;
export type ServerEvent = (typeof SERVER_EVENTS)[number];

/** `typing_start` / `typing_stop` (seed 003, forum threads) are answered with a VALIDATION_ERROR. */
export const CLIENT_EVENTS = ['ping', 'authenticate', 'notification_read', 'debug_mode'] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];

export interface ServerMessage<T = unknown> {
  type: ServerEvent;
  event: ServerEvent;
  data: T;
}

/** Close codes the server uses. */
export const WS_CLOSE = {
  /** Server shutting down / restarting: reconnect with backoff. */
  GOING_AWAY: 1001,
  /** Connection limit (per IP or per device) reached. */
  POLICY: 1008,
  /** Not authenticated within the timeout. */
  AUTH_TIMEOUT: 4001,
  /** Missed pongs or a consumer too slow to drain its buffer. */
  UNRESPONSIVE: 4002,
  /** The user was deleted or disabled, or the device id was released to another account: log in again. */
  REVOKED: 4003,
} as const;

export interface ConnectedData {
  socketId: string;
  timestamp: string;
}
export interface AuthenticatedData {
  user: { id: number; username: string; name: string | null; email: string | null; role: string };
  permissions: string[];
  socketId: string;
  device_id: string | null;
}
export interface QuotaUpdatedData {
  client_id: number;
  remaining: number;
  total: number;
  name: string;
  /** Server time of the change (ISO) and the same as epoch ms, for latency measurements. */
  timestamp: string;
  ts: number;
}
export interface ErrorData {
  error: string;
  code: string;
  details?: unknown;
  timestamp: string;
}

export const AuthenticateData = z.object({ token: z.string().min(1).max(8192) });
export const NotificationReadData = z.object({ notification_id: z.string().min(1).max(64) });
export const DebugModeData = z.object({ enabled: z.boolean() });

export const NotifyRequest = z
  .object({
    device_id: z.string().min(1).max(128).optional(),
    all: z.literal(true).optional(),
    title: z.string().min(1).max(200),
    message: z.string().min(1).max(4000),
    type: z.string().min(1).max(64).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((b) => (b.device_id === undefined) !== (b.all === undefined), {
    message: 'send exactly one of device_id or all:true',
  });
export type NotifyRequest = z.infer<typeof NotifyRequest>;

export const Notification = z.object({
  id: z.string(),
  device_id: z.string().nullable(),
  type: z.string(),
  title: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).nullable(),
  timestamp: z.string(),
  read: z.boolean(),
});
export type Notification = z.infer<typeof Notification>;

export const NotifyResponse = z.object({
  success: z.literal(true),
  data: Notification.extend({ delivered: z.number().int() }),
});
