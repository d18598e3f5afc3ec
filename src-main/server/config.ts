import {
  alertSettings,
  webhookSettings,
  type AlertSettings,
  type WebhookSettings,
} from './alerts/settings.js';
import { join } from 'node:path';
import { randomSecret, sha256Hex } from './auth/secret-hash.js';
import { checkJwtSecret, MIN_JWT_SECRET, parseApiKeyDigests } from './key-files.js';
import { licensePrefixFrom } from './licensing/license-key.js';
import { readOrCreateSecretFile } from './runtime/secret-file.js';
import { ensureDataDir } from '../../src-shared/data-dir.js';

/** Everything the server needs to start, resolved once from CLI flags and environment. */
export interface ServerConfig {
  /** Alert thresholds (alerts/settings.ts). */
  alerts: AlertSettings;
  /** Webhook delivery policy (alerts/settings.ts). */
  webhooks: WebhookSettings;
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL URL (--database-url / OUTPOST_DATABASE_URL): the fleet store instead of SQLite in dataDir. */
  databaseUrl?: string;
  /** Connections per instance to PostgreSQL (OUTPOST_PG_POOL_MAX). */
  pgPoolMax: number;
  /**
   * SHA-256 digests of the admin API keys (`X-API-Key`); keys themselves are never kept. With a database URL
   * only the operator's (OUTPOST_API_KEYS), possibly none: the fleet's generated key lives in the database.
   */
  apiKeyDigests: string[];
  /**
   * The JWT signing secret. Undefined with a database URL unless OUTPOST_JWT_SECRET supplies it: a fleet keeps
   * one secret in the database, never one file per instance (see runtime/postgres/keys.ts).
   */
  jwtSecret: Uint8Array | undefined;
  /** Per-IP limit per minute on public and auth endpoints. */
  rateLimitPerMin: number;
  /** Device heartbeat interval the server expects (seed 004: 60 s); presence = seen within 3 intervals. */
  heartbeatIntervalSec: number;
  /** Plugin heartbeat interval (seed 000: 5 min); `is_active` = seen within 3 intervals. */
  pluginIntervalSec: number;
  /** Registration token lifetime. */
  tokenTtlSec: number;
  bodyLimitBytes: number;
  version: string;
  environment: string;
  /** Trust X-Forwarded-For (only behind a reverse proxy you run). */
  trustProxy: boolean;
  /** License key prefix (OUTPOST_LICENSE_PREFIX, default PROGRAN3): `PREFIX-YYYY-XXXXXX-XXXXXX`. */
  licensePrefix: string;
  /** Lifetime of login JWTs (seed 001: 7 days). */
  jwtExpiresSec: number;
  /** Failed logins per username per 15 minutes before that username is refused (429). */
  loginMaxFailures: number;
  /** Realtime limits (seed 003), for `/ws` and socket.io sockets together. */
  ws: WsLimits;
  /** The socket.io endpoint (`/socket.io/`, seed 003's own clients). */
  socketio: SocketIoSettings;
  /** Connection-level limits against slow or piled-up clients. */
  http: HttpLimits;
  /** How long a user's state (exists, enabled) and a device's owner are trusted without a store read. */
  authCacheTtlMs: number;
  /** `/metrics` and `/status` need X-API-Key (they are public by default, like seed 003's). */
  metricsRequireKey: boolean;
}

export interface HttpLimits {
  /** Time to receive a request's headers (Node's default is 60 s). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included: a body trickled a byte at a time is cut off here. */
  requestTimeoutMs: number;
  /** Open connections per client address; 0 = no limit (the default behind a trusted reverse proxy). */
  maxConnectionsPerIp: number;
}

export interface WsLimits {
  maxPerIp: number;
  /** Per device (or per user when the token has no device). */
  maxPerDevice: number;
  messagesPerMin: number;
  /** Unauthenticated sockets are closed after this long. */
  authTimeoutMs: number;
  /** Protocol-level ping interval; a socket that missed the previous pong is dropped. */
  pingIntervalMs: number;
  /** A socket whose unsent buffer grows past this is closed (slow consumer). */
  maxBufferedBytes: number;
}

export interface SocketIoSettings {
  /**
   * Browser origins allowed to reach `/socket.io/` from another site (CORS for long-polling, and the Origin
   * check of both transports). Empty = same origin only; `*` = any.
   */
  corsOrigins: string[];
}

/** OUTPOST_SOCKETIO_CORS_ORIGINS: comma-separated `scheme://host[:port]` origins, or `*`. */
function socketIoSettings(env: NodeJS.ProcessEnv): SocketIoSettings {
  const corsOrigins = (env.OUTPOST_SOCKETIO_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of corsOrigins) {
    if (o === '*') continue;
    let origin: string | undefined;
    try {
      origin = new URL(o).origin;
    } catch {
      origin = undefined;
    }
    // A browser's Origin header is exactly `scheme://host[:port]`: anything else (a path, a slash) never matches.
    if (origin !== o) {
      throw new Error(`OUTPOST_SOCKETIO_CORS_ORIGINS: '${o}' is not an origin like https://app.example.com`);
    }
  }
  return { corsOrigins };
}

/** Things the CLI prints once (generated credentials), never logged. */
export interface FirstStartNotices {
  generatedApiKey?: string;
  generatedAdmin?: { username: string; password: string };
}

/**
 * A start that failed after it had already stored generated credentials (e.g. the port was taken after the first
 * admin was created). The next start finds them and generates nothing, so they must still be shown once, or the
 * operator is locked out. The message is the original failure's, unchanged.
 */
export class StartFailedWithNotices extends Error {
  constructor(
    readonly failure: unknown,
    readonly notices: FirstStartNotices,
  ) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

const NUM = (v: string | undefined, fallback: number, min: number, max: number): number => {
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`invalid number '${v}' (allowed ${min}..${max})`);
  return Math.floor(n);
};

const MIN_API_KEY = 16;

function loadOrCreateJwtSecret(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  fleet: boolean,
): Uint8Array | undefined {
  if (env.OUTPOST_JWT_SECRET && env.OUTPOST_JWT_SECRET.length >= MIN_JWT_SECRET) {
    return new TextEncoder().encode(env.OUTPOST_JWT_SECRET);
  }
  if (env.OUTPOST_JWT_SECRET) {
    throw new Error(`OUTPOST_JWT_SECRET must be at least ${MIN_JWT_SECRET} characters`);
  }
  if (fleet) return undefined;
  const file = join(dataDir, 'jwt-secret');
  const { content } = readOrCreateSecretFile(file, () => randomSecret(48));
  return new TextEncoder().encode(checkJwtSecret(content, file));
}

/**
 * Admin API keys: from OUTPOST_API_KEYS when set; otherwise one generated on first start, printed once, and
 * kept in the data dir only as its SHA-256 digest (seed 002 keeps plaintext keys; we do not).
 */
function loadApiKeyDigests(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  notices: FirstStartNotices,
  fleet: boolean,
): string[] {
  const fromEnv = (env.OUTPOST_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  // A short admin key is guessable through the rate limits; generated keys have 32 random characters.
  const short = fromEnv.findIndex((k) => k.length < MIN_API_KEY);
  if (short >= 0) {
    throw new Error(`OUTPOST_API_KEYS: key ${short + 1} is shorter than ${MIN_API_KEY} characters`);
  }
  if (fromEnv.length > 0) return fromEnv.map(sha256Hex);
  // A fleet's generated key is created once in the database by the PostgreSQL runtime, which announces it; a
  // file here would be a second, per-instance key that no other instance accepts.
  if (fleet) return [];
  const file = join(dataDir, 'api-keys.sha256');
  const key = `opk_${randomSecret(32)}`;
  const { content, created } = readOrCreateSecretFile(file, () => `${sha256Hex(key)}\n`);
  // Printed only by the process whose key was kept (several may start at once on one data dir).
  if (created) notices.generatedApiKey = key;
  return parseApiKeyDigests(content, file);
}

/** Headers within 10 s, a whole request within 30 s, and the per-IP cap (off behind a trusted proxy). */
function httpLimits(env: NodeJS.ProcessEnv, trustProxy: boolean): HttpLimits {
  const headersTimeoutMs = NUM(env.OUTPOST_HEADERS_TIMEOUT_MS, 10_000, 100, 600_000);
  const requestTimeoutMs = NUM(env.OUTPOST_REQUEST_TIMEOUT_MS, 30_000, 100, 3_600_000);
  // Node refuses a headers timeout longer than the request timeout: say so in our words.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new Error('OUTPOST_HEADERS_TIMEOUT_MS must not exceed OUTPOST_REQUEST_TIMEOUT_MS');
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    maxConnectionsPerIp: NUM(env.OUTPOST_MAX_CONNECTIONS_PER_IP, trustProxy ? 0 : 256, 0, 1_000_000),
  };
}

export interface ConfigInput {
  host?: string;
  port?: number;
  dataDir: string;
  databaseUrl?: string;
  env?: NodeJS.ProcessEnv;
  version?: string;
}

export function resolveServerConfig(input: ConfigInput): {
  config: ServerConfig;
  notices: FirstStartNotices;
} {
  const env = input.env ?? process.env;
  ensureDataDir(input.dataDir);
  const notices: FirstStartNotices = {};
  const trustProxy = env.OUTPOST_TRUST_PROXY === '1';
  const databaseUrl = input.databaseUrl || env.OUTPOST_DATABASE_URL || undefined;
  const fleet = databaseUrl !== undefined;
  const config: ServerConfig = {
    host: input.host ?? '127.0.0.1',
    port: input.port ?? 8787,
    dataDir: input.dataDir,
    databaseUrl,
    pgPoolMax: NUM(env.OUTPOST_PG_POOL_MAX, 10, 1, 1000),
    apiKeyDigests: loadApiKeyDigests(input.dataDir, env, notices, fleet),
    jwtSecret: loadOrCreateJwtSecret(input.dataDir, env, fleet),
    rateLimitPerMin: NUM(env.OUTPOST_RATE_LIMIT_PER_MIN, 60, 1, 1_000_000),
    heartbeatIntervalSec: NUM(env.OUTPOST_HEARTBEAT_INTERVAL_SEC, 60, 1, 86_400),
    pluginIntervalSec: NUM(env.OUTPOST_PLUGIN_INTERVAL_SEC, 300, 1, 86_400),
    tokenTtlSec: NUM(env.OUTPOST_TOKEN_TTL_SEC, 24 * 3600, 60, 365 * 86_400),
    bodyLimitBytes: 1024 * 1024,
    version: input.version ?? '0.1.0',
    environment: env.NODE_ENV ?? 'production',
    trustProxy,
    licensePrefix: licensePrefixFrom(env),
    jwtExpiresSec: NUM(env.OUTPOST_JWT_EXPIRES_SEC, 7 * 86_400, 1, 365 * 86_400),
    loginMaxFailures: NUM(env.OUTPOST_LOGIN_MAX_FAILURES, 10, 1, 1_000_000),
    ws: {
      maxPerIp: NUM(env.OUTPOST_WS_MAX_PER_IP, 100, 1, 1_000_000),
      maxPerDevice: NUM(env.OUTPOST_WS_MAX_PER_DEVICE, 5, 1, 1_000_000),
      messagesPerMin: NUM(env.OUTPOST_WS_MESSAGES_PER_MIN, 60, 1, 1_000_000),
      authTimeoutMs: NUM(env.OUTPOST_WS_AUTH_TIMEOUT_MS, 10_000, 10, 3_600_000),
      pingIntervalMs: NUM(env.OUTPOST_WS_PING_INTERVAL_MS, 30_000, 10, 3_600_000),
      maxBufferedBytes: NUM(env.OUTPOST_WS_MAX_BUFFERED_BYTES, 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    socketio: socketIoSettings(env),
    http: httpLimits(env, trustProxy),
    authCacheTtlMs: NUM(env.OUTPOST_AUTH_CACHE_TTL_MS, 1000, 0, 60_000),
    metricsRequireKey: env.OUTPOST_METRICS_REQUIRE_KEY === '1',
    alerts: alertSettings(env, NUM(env.OUTPOST_HEARTBEAT_INTERVAL_SEC, 60, 1, 86_400)),
    webhooks: webhookSettings(env),
  };
  return { config, notices };
}
