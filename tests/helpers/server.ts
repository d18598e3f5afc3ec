import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src-main/server/runner.js';
import { createTestDatabase, type TestDatabase } from './pg.js';

export const TEST_API_KEY = 'test-admin-key-0123456789abcdef';
export const TEST_ADMIN = { username: 'admin', password: 'admin-password-123' };

export interface TestServer extends RunningServer {
  dataDir: string;
  /** The PostgreSQL database URL when running on PostgreSQL. */
  databaseUrl?: string;
  apiKey: string;
  /** fetch against the server with JSON in and out. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  /** Stops the server and removes its data dir (unless keepData). */
  dispose(opts?: { keepData?: boolean }): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary JSON
  text: string;
}

/**
 * Which store the integration suites run on: SQLite in the data dir (default), or PostgreSQL with
 * OUTPOST_TEST_STORE=postgres (vitest's `server-postgres` project), one fresh database per data dir.
 */
export const TEST_STORE: 'sqlite' | 'postgres' =
  process.env.OUTPOST_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
/** The PostgreSQL database behind each data dir, so a restart on the same data dir finds its rows again. */
const databases = new Map<string, TestDatabase>();

/** The real server on an ephemeral loopback port with a temp data dir (or the given one, for restarts). */
export async function startTestServer(
  opts: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'outpost-srv-'));
  const env = {
    OUTPOST_API_KEYS: TEST_API_KEY,
    OUTPOST_ADMIN_USER: TEST_ADMIN.username,
    OUTPOST_ADMIN_PASSWORD: TEST_ADMIN.password,
    OUTPOST_RATE_LIMIT_PER_MIN: '10000',
    // Tests drive hundreds of sockets from one loopback address; the cap has its own test (slow-clients).
    OUTPOST_MAX_CONNECTIONS_PER_IP: '0',
    ...opts.env,
  };
  let database = databases.get(dataDir);
  if (TEST_STORE === 'postgres' && !database) {
    database = await createTestDatabase();
    databases.set(dataDir, database);
  }
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    env: database ? { OUTPOST_PG_POOL_MAX: '4', ...env } : env,
    databaseUrl: database?.url,
  }).catch(async (err: unknown) => {
    // A server that refuses to start (tests of bad configuration) leaves no database behind.
    if (database && !opts.dataDir) {
      databases.delete(dataDir);
      await database.drop();
    }
    throw err;
  });
  return {
    ...server,
    dataDir,
    databaseUrl: database?.url,
    apiKey: TEST_API_KEY,
    api: (method, path, body, headers) => request(server.url, method, path, body, headers),
    async dispose(d = {}) {
      await server.stop();
      if (!d.keepData) {
        rmSync(dataDir, { recursive: true, force: true });
        databases.delete(dataDir);
        await database?.drop();
      }
    },
  };
}

export async function request(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, init);
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
