import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src-main/server/runner.js';

export const TEST_API_KEY = 'test-admin-key-0123456789abcdef';
export const TEST_ADMIN = { username: 'admin', password: 'admin-password-123' };

export interface TestServer extends RunningServer {
  dataDir: string;
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
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, env });
  return {
    ...server,
    dataDir,
    apiKey: TEST_API_KEY,
    api: (method, path, body, headers) => request(server.url, method, path, body, headers),
    async dispose(d = {}) {
      await server.stop();
      if (!d.keepData) rmSync(dataDir, { recursive: true, force: true });
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
