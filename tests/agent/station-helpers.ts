/** Shared setup for the station tests: a real server with one client and one station user, and stations. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentEvents, type AgentEvent } from '../../src-main/agent/events.js';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { StationService, type StationServiceOptions } from '../../src-main/agent/station/station-service.js';
import type { TestServer } from '../helpers/server.js';

export const STATION_USER = { username: 'station1', password: 'station-password-1' };

export async function createClient(srv: TestServer, name: string, quota: number): Promise<number> {
  const res = await srv.api('POST', '/api/admin/clients', { name, quota }, { 'x-api-key': srv.apiKey });
  if (res.status !== 200 && res.status !== 201) throw new Error(`create client: ${res.status} ${res.text}`);
  return res.body.data.id as number;
}

export async function setQuota(
  srv: TestServer,
  id: number,
  body: { quota?: number; add?: number },
): Promise<void> {
  const res = await srv.api('PUT', `/api/admin/clients/${id}`, body, { 'x-api-key': srv.apiKey });
  if (res.status !== 200) throw new Error(`set quota: ${res.status} ${res.text}`);
}

export async function clientOnServer(
  srv: TestServer,
  id: number,
): Promise<{ remaining: number; used: number; total: number }> {
  const res = await srv.api('GET', '/api/admin/clients', undefined, { 'x-api-key': srv.apiKey });
  const c = (res.body.data as { id: number; remaining: number; used: number; total: number }[]).find(
    (x) => x.id === id,
  );
  if (!c) throw new Error(`client ${id} not on server`);
  return c;
}

export async function createStationUser(srv: TestServer, user = STATION_USER): Promise<number> {
  const res = await srv.api(
    'POST',
    '/api/admin/users',
    { ...user, role: 'station' },
    { 'x-api-key': srv.apiKey },
  );
  if (res.status !== 200 && res.status !== 201) throw new Error(`create user: ${res.status} ${res.text}`);
  return res.body.data.id as number;
}

export interface TestStation {
  svc: StationService;
  dataDir: string;
  events: AgentEvent[];
  /** Base URL the station uses; tests may point it elsewhere (a proxy, a restarted server). */
  url: { current: string };
  dispose(): Promise<void>;
}

export function makeStation(
  url: string,
  opts: Partial<StationServiceOptions> = {},
  dataDir?: string,
): TestStation {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'outpost-station-'));
  const events = new AgentEvents();
  const seen: AgentEvent[] = [];
  events.on((e) => seen.push(e));
  const ref = { current: url };
  const svc = new StationService({
    dataDir: dir,
    secrets: createMemorySecretStore(),
    events,
    serverUrl: () => ref.current,
    realtime: false,
    timeoutMs: 5_000,
    ...opts,
  });
  return {
    svc,
    dataDir: dir,
    events: seen,
    url: ref,
    async dispose() {
      await svc.stop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
