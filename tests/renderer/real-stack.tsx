/**
 * The UI over the real thing: a real server on a loopback port, a real agent (encrypted-file secrets in a temp
 * dir) behind the same channel adapter the Electron and web transports use, and the React app rendered in
 * jsdom over that adapter. What the tests assert is what an operator would read for that real state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render, type RenderResult } from '@testing-library/react';
import { createAgent, type Agent, type AgentOptions } from '../../src-main/agent/agent.js';
import { createAgentApi } from '../../src-main/agent/api.js';
import type { PushTimers } from '../../src-main/agent/station/station-service.js';
import { createApiClient } from '../../src-shared/ipc/client.js';
import type { Channel } from '../../src-shared/ipc/channels.js';
import { App } from '../../src-renderer/app.js';
import { startServerProcess } from '../helpers/server-process.js';
import { request, startTestServer, TEST_ADMIN, TEST_API_KEY, type TestResponse } from '../helpers/server.js';

/** What the tests use of a server, in this process or in a child. */
export interface StackServer {
  url: string;
  apiKey: string;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  stop(): Promise<unknown>;
  dispose(): Promise<void>;
}
type TestServer = StackServer;

/**
 * The server CLI in a child process: jsdom's globals (Uint8Array and friends from another realm) break the
 * server's Ed25519 license signing when it shares the test's process.
 */
export async function startChildServer(): Promise<StackServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-ui-srv-'));
  const p = await startServerProcess({
    dataDir,
    env: {
      OUTPOST_API_KEYS: TEST_API_KEY,
      OUTPOST_ADMIN_USER: TEST_ADMIN.username,
      OUTPOST_ADMIN_PASSWORD: TEST_ADMIN.password,
      OUTPOST_RATE_LIMIT_PER_MIN: '10000',
    },
  });
  return {
    url: p.url,
    apiKey: TEST_API_KEY,
    api: (method, path, body, headers) => request(p.url, method, path, body, headers),
    stop: () => p.stop(),
    async dispose() {
      await p.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RealStack {
  srv: TestServer;
  agent: Agent;
  dataDir: string;
  ui: RenderResult;
  dispose(): Promise<void>;
}

export async function startRealStack(
  opts: {
    /** The profile URL; a function of the server's URL (default: the server's URL). */
    serverUrl?: (srvUrl: string) => string;
    /** Reuse a server (and keep it running on dispose). */
    srv?: TestServer;
    /** Run the server in a child process (see startChildServer). */
    childServer?: boolean;
    /** Reuse an agent data dir (a restart of the agent); kept on dispose. */
    dataDir?: string;
    agent?: Partial<AgentOptions>;
  } = {},
): Promise<RealStack> {
  const srv = opts.srv ?? (opts.childServer ? await startChildServer() : await startTestServer());
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'outpost-ui-agent-'));
  const agent = await createAgent({
    dataDir,
    secretsFile: true,
    serverUrl: opts.serverUrl ? opts.serverUrl(srv.url) : srv.url,
    env: {},
    logging: { level: 'warn' },
    timings: { intervalMs: 60_000, backoffBaseMs: 60_000, backoffCapMs: 60_000 },
    ...opts.agent,
  });
  await agent.start();
  const adapter = createAgentApi({
    agent,
    app: { name: 'Outpost', version: 'test', shell: 'headless', electron: null },
  });
  const { api } = createApiClient({
    invoke: (channel: Channel, payload: unknown) => adapter.invoke(channel, payload),
    subscribe: (listener) => adapter.onEvent(listener),
  });
  const ui = render(<App api={api} />);
  return {
    srv,
    agent,
    dataDir,
    ui,
    async dispose() {
      ui.unmount();
      await agent.stop();
      if (!opts.srv) await srv.dispose().catch(() => undefined);
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function adminCreateClient(srv: TestServer, name: string, quota: number): Promise<number> {
  const res = await srv.api('POST', '/api/admin/clients', { name, quota }, { 'X-API-Key': srv.apiKey });
  if (res.status !== 201) throw new Error(`admin create client: ${res.status} ${res.text}`);
  return (res.body as { data: { id: number } }).data.id;
}

export async function adminSetQuota(srv: TestServer, id: number, quota: number): Promise<void> {
  const res = await srv.api('PUT', `/api/admin/clients/${id}`, { quota }, { 'X-API-Key': srv.apiKey });
  if (res.status !== 200) throw new Error(`admin set quota: ${res.status} ${res.text}`);
}

/** A push timer that never fires on its own: the tests decide when (or whether) recorded copies go out. */
export function heldTimers(): { timers: PushTimers; fire(): void; armed: number[] } {
  let pending: (() => void) | null = null;
  const armed: number[] = [];
  return {
    armed,
    timers: {
      setTimeout: (fn, ms) => {
        pending = fn;
        armed.push(ms);
        return armed.length;
      },
      clearTimeout: () => {
        pending = null;
      },
    },
    fire() {
      const fn = pending;
      pending = null;
      fn?.();
    },
  };
}

export async function adminCreateDevice(srv: TestServer, deviceKey: string): Promise<string> {
  const res = await srv.api(
    'POST',
    '/api/admin/devices',
    { device_key: deviceKey },
    { 'X-API-Key': srv.apiKey },
  );
  if (res.status !== 200) throw new Error(`admin create device: ${res.status} ${res.text}`);
  return (res.body as { token_code: string }).token_code;
}
