import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomSecret, sha256Hex } from './auth/secret-hash.js';
import { licensePrefixFrom } from './licensing/license-key.js';
import { readOrCreateSecretFile } from './runtime/secret-file.js';

/** Everything the server needs to start, resolved once from CLI flags and environment. */
export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** SHA-256 digests of the admin API keys (`X-API-Key`); keys themselves are never kept. */
  apiKeyDigests: string[];
  jwtSecret: Uint8Array;
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
  /** `/ws` limits (seed 003). */
  ws: WsLimits;
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

/** Things the CLI prints once (generated credentials), never logged. */
export interface FirstStartNotices {
  generatedApiKey?: string;
  generatedAdmin?: { username: string; password: string };
}

const NUM = (v: string | undefined, fallback: number, min: number, max: number): number => {
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`invalid number '${v}' (allowed ${min}..${max})`);
  return Math.floor(n);
};

function loadOrCreateJwtSecret(dataDir: string, env: NodeJS.ProcessEnv): Uint8Array {
  if (env.OUTPOST_JWT_SECRET && env.OUTPOST_JWT_SECRET.length >= 32) {
    return new TextEncoder().encode(env.OUTPOST_JWT_SECRET);
  }
  if (env.OUTPOST_JWT_SECRET) throw new Error('OUTPOST_JWT_SECRET must be at least 32 characters');
  const { content } = readOrCreateSecretFile(join(dataDir, 'jwt-secret'), () => randomSecret(48));
  return new TextEncoder().encode(content.trim());
}

/**
 * Admin API keys: from OUTPOST_API_KEYS when set; otherwise one generated on first start, printed once, and
 * kept in the data dir only as its SHA-256 digest (seed 002 keeps plaintext keys; we do not).
 */
function loadApiKeyDigests(dataDir: string, env: NodeJS.ProcessEnv, notices: FirstStartNotices): string[] {
  const fromEnv = (env.OUTPOST_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (fromEnv.length > 0) return fromEnv.map(sha256Hex);
  const key = `opk_${randomSecret(32)}`;
  const { content, created } = readOrCreateSecretFile(
    join(dataDir, 'api-keys.sha256'),
    () => `${sha256Hex(key)}\n`,
  );
  // Printed only by the process whose key was kept (several may start at once on one data dir).
  if (created) notices.generatedApiKey = key;
  return content
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]{64}$/.test(l));
}

export interface ConfigInput {
  host?: string;
  port?: number;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  version?: string;
}

export function resolveServerConfig(input: ConfigInput): {
  config: ServerConfig;
  notices: FirstStartNotices;
} {
  const env = input.env ?? process.env;
  mkdirSync(input.dataDir, { recursive: true, mode: 0o700 });
  const notices: FirstStartNotices = {};
  const config: ServerConfig = {
    host: input.host ?? '127.0.0.1',
    port: input.port ?? 8787,
    dataDir: input.dataDir,
    apiKeyDigests: loadApiKeyDigests(input.dataDir, env, notices),
    jwtSecret: loadOrCreateJwtSecret(input.dataDir, env),
    rateLimitPerMin: NUM(env.OUTPOST_RATE_LIMIT_PER_MIN, 60, 1, 1_000_000),
    heartbeatIntervalSec: NUM(env.OUTPOST_HEARTBEAT_INTERVAL_SEC, 60, 1, 86_400),
    pluginIntervalSec: NUM(env.OUTPOST_PLUGIN_INTERVAL_SEC, 300, 1, 86_400),
    tokenTtlSec: NUM(env.OUTPOST_TOKEN_TTL_SEC, 24 * 3600, 60, 365 * 86_400),
    bodyLimitBytes: 1024 * 1024,
    version: input.version ?? '0.1.0',
    environment: env.NODE_ENV ?? 'production',
    trustProxy: env.OUTPOST_TRUST_PROXY === '1',
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
  };
  return { config, notices };
}
